#!/usr/bin/env bash
# deploy/Dockerfile installs what the build and the binaries need, checked against this machine's
# build (no Docker engine runs here; deploy/build-image-offline builds the image itself):
#  - build stage: the Debian package behind every pkg-config module (and what it requires),
#    header and library our CMake files build against must be in its apt-get install list;
#  - runtime stage: the package behind every library the built binaries link (ELF NEEDED) must
#    be in RUNTIME_PACKAGES or the base image.
# A new dependency then fails the test suite here, not the next image build somewhere else.
#   dockerfile_packages.sh SOURCE_DIR BINARY_DIR
set -euo pipefail
src="$1"
bin="$2"
dockerfile="$src/deploy/Dockerfile"
fail=0

# The words of the build stage (FROM ... AS build up to its WORKDIR) and of RUNTIME_PACKAGES.
build_stage="$(awk '/^FROM .* AS build/{on=1} on&&/^WORKDIR/{exit} on' "$dockerfile")"
runtime="$(awk '/^ARG RUNTIME_PACKAGES=/{on=1} on{print} on&&!/\\$/{exit}' "$dockerfile" |
  sed 's/^ARG RUNTIME_PACKAGES="//; s/[\\"]//g')"
base_image="libc6 libgcc-s1 libstdc++6 zlib1g"

package_of() {  # the Debian package owning file $1 (empty if none)
  { dpkg -S "$1" 2>/dev/null || true; } | head -n 1 | cut -d: -f1
}
has_word() {  # is $2 a word of $1?
  grep -qw -- "$2" <<<"$1"
}

# pkg-config modules named in pkg_check_modules(VAR REQUIRED IMPORTED_TARGET [GLOBAL] mod...).
mapfile -t modules < <(grep -rhoE 'pkg_check_modules\([^)]*\)' --include=CMakeLists.txt \
  --include='*.cmake' "$src" --exclude-dir=build --exclude-dir='build-*' --exclude-dir=node_modules |
  sed -E 's/pkg_check_modules\(//; s/\)//' | tr ' ' '\n' |
  grep -vE '^[A-Z0-9_]+$|^$' | sort -u)
# ... and the modules they require (cjose requires jansson, whose -dev package it does not pull).
queue=("${modules[@]}")
declare -A seen=()
files=()
while [ ${#queue[@]} -gt 0 ]; do
  m="${queue[0]}"
  queue=("${queue[@]:1}")
  [ -n "${seen[$m]:-}" ] && continue
  seen[$m]=1
  files+=("$(pkg-config --variable=pcfiledir "$m")/$m.pc")
  for r in $(pkg-config --print-requires "$m" | awk '{print $1}'); do queue+=("$r"); done
done
# Headers of the find_package() dependencies, and the library found with find_library().
for h in boost/json.hpp boost/url.hpp curl/curl.h fmt/core.h gtest/gtest.h gmock/gmock.h \
  CLI/CLI.hpp openssl/ssl.h prometheus/registry.h libstemmer.h; do
  found="/usr/include/$h"  # or the multiarch include directory (curl, openssl's configuration)
  [ -e "$found" ] || found="/usr/include/$(gcc -print-multiarch)/$h"
  files+=("$found")
done

for f in "${files[@]}"; do
  pkg="$(package_of "$f")"
  if [ -z "$pkg" ]; then
    echo "no Debian package owns $f" >&2
    fail=1
  elif ! has_word "$build_stage" "$pkg"; then
    echo "deploy/Dockerfile build stage lacks $pkg (for $f)" >&2
    fail=1
  fi
done

for exe in "$bin/samverka" "$bin/samverkactl"; do
  for soname in $(readelf -d "$exe" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    lib="$(ldd "$exe" | awk -v s="$soname" '$1 == s {print $3}')"
    pkg="$(package_of "$(readlink -f "$lib")")"
    [ -n "$pkg" ] || pkg="$(package_of "$lib")"  # usr-merge: /lib and /usr/lib
    [ -n "$pkg" ] || pkg="$(package_of "${lib#/usr}")"
    if ! has_word "$runtime $base_image" "$pkg"; then
      echo "deploy/Dockerfile RUNTIME_PACKAGES lacks $pkg (for $soname of $(basename "$exe"))" >&2
      fail=1
    fi
  done
done

[ "$fail" = 0 ] && echo "deploy/Dockerfile covers ${#files[@]} build inputs and both binaries' libraries"
exit "$fail"
