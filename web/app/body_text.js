// The editor's plain-text body format and its HTML: a blank line separates paragraphs, lines
// starting with "- " form a bulleted list, **text** is bold. Small enough to learn from a hint,
// and it produces only markup the server's sanitiser keeps.

function escapeHtml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function inline(s) {
  return escapeHtml(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
}

export function textToHtml(text) {
  const blocks = text.replace(/\r\n?/g, '\n').split(/\n\s*\n/).map((b) => b.trim()).filter(Boolean);
  return blocks
    .map((block) => {
      const lines = block.split('\n');
      if (lines.every((l) => /^[-*] /.test(l.trim())))
        return `<ul>${lines.map((l) => `<li>${inline(l.trim().slice(2))}</li>`).join('')}</ul>`;
      return `<p>${lines.map(inline).join('<br>')}</p>`;
    })
    .join('\n');
}

// The body HTML as editable text, and whether something was lost on the way (links, headings,
// ...), so the editor can warn instead of silently dropping formatting.
export function htmlToText(html) {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  let lossy = false;
  const inlineText = (node) => {
    let out = '';
    for (const c of node.childNodes) {
      if (c.nodeType === Node.TEXT_NODE) out += c.textContent.replace(/\s+/g, ' ');
      else if (c.nodeName === 'BR') out += '\n';
      else if (c.nodeName === 'STRONG' || c.nodeName === 'B') out += `**${inlineText(c)}**`;
      else {
        lossy = true;
        out += inlineText(c);
      }
    }
    return out;
  };
  const blocks = [];
  for (const c of doc.body.childNodes) {
    if (c.nodeType === Node.TEXT_NODE) {
      if (c.textContent.trim()) blocks.push(c.textContent.trim());
    } else if (c.nodeName === 'P') {
      blocks.push(inlineText(c).trim());
    } else if (c.nodeName === 'UL' || c.nodeName === 'OL') {
      if (c.nodeName === 'OL') lossy = true;
      blocks.push([...c.children].map((li) => `- ${inlineText(li).trim()}`).join('\n'));
    } else if (c.nodeType === Node.ELEMENT_NODE) {
      lossy = true;
      blocks.push(inlineText(c).trim());
    }
  }
  return { text: blocks.filter(Boolean).join('\n\n'), lossy };
}
