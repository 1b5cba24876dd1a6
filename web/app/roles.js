// Roles as the API names them (employee, manager, editor, admin) and what they allow in the UI.
// The server decides; these only hide what would be refused anyway.
export const roleNames = ['employee', 'manager', 'editor', 'admin'];

export function hasRole(me, role) {
  return Boolean(me?.user?.roles?.includes(role));
}

export function isEditor(me) {
  return hasRole(me, 'editor') || hasRole(me, 'admin');
}

export function isAdmin(me) {
  return hasRole(me, 'admin');
}
