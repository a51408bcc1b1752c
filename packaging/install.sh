#!/usr/bin/env bash
# Install Cortexplorer for the current user, like a desktop application: the program (built
# with `cargo install`), its menu entry and icon, the file types it opens from a file manager
# (.gii, .nii/.nii.gz, .mgh/.mgz), shell completions and man pages.
#
#   packaging/install.sh             # into ~/.local (PREFIX=… for another place)
#   CORTEXPLORER_BIN=path packaging/install.sh   # use an already built binary instead
#
# `.ci/bootstrap install` installs the system packages first, then runs this.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="${PREFIX:-$HOME/.local}"
data="${XDG_DATA_HOME:-$HOME/.local/share}"

if [ -n "${CORTEXPLORER_BIN:-}" ]; then
  bin="$prefix/bin/cortexplorer"
  install -Dm755 "$CORTEXPLORER_BIN" "$bin"
else
  cargo install --locked --path . --root "$prefix"
  bin="$prefix/bin/cortexplorer"
fi

# menu entry (with the binary's full path: a desktop session may not have ~/.local/bin on PATH)
mkdir -p "$data/applications"
sed "s|^Exec=cortexplorer |Exec=$bin |" packaging/cortexplorer.desktop \
  > "$data/applications/cortexplorer.desktop"
install -Dm644 packaging/cortexplorer.svg "$data/icons/hicolor/scalable/apps/cortexplorer.svg"
install -Dm644 packaging/cortexplorer-mime.xml "$data/mime/packages/cortexplorer.xml"
if command -v update-mime-database >/dev/null; then update-mime-database "$data/mime"; fi
if command -v update-desktop-database >/dev/null; then
  update-desktop-database "$data/applications" 2>/dev/null || true
fi
if command -v xdg-mime >/dev/null; then
  XDG_DATA_HOME="$data" xdg-mime default cortexplorer.desktop \
    application/x-gifti application/x-nifti application/x-mgh 2>/dev/null || true
fi

# completions and man pages
mkdir -p "$data/bash-completion/completions" "$data/zsh/site-functions" \
  "${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions"
"$bin" completions bash > "$data/bash-completion/completions/cortexplorer"
"$bin" completions zsh > "$data/zsh/site-functions/_cortexplorer"
"$bin" completions fish > "${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions/cortexplorer.fish"
"$bin" man "$data/man/man1" >/dev/null

echo "installed: $bin ($("$bin" --version))"
echo "menu entry, icon and file types in $data; completions for bash, zsh, fish; man cortexplorer"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "note: $prefix/bin is not on PATH; add it to run 'cortexplorer' from a shell" ;;
esac
