# Sourced by .ci/bootstrap (and by tests/integration/setup.rs with fixture apt directories).
#
# Debian 12's Mesa (22.3) lavapipe keeps ~20 MB per second of continuous drawing; the Mesa 25
# of <release>-backports does not. Getting it is optional: nothing here may stop the setup.
#
# The backports archive is the machine's own Debian archive with the suite "<release>-backports".
# That archive is found the way apt finds its sources: only the files apt reads
# (sources.list, sources.list.d/*.list one-line files, sources.list.d/*.sources deb822 files;
# apt ignores every other name, e.g. "x.list.disabled" or "x.sources.save"), in apt's order,
# and only an enabled "deb" entry whose suite is exactly the release (e.g. "bookworm") and whose
# components include "main" — a third-party repository ("nodistro", "cloud-sdk-bookworm")
# never matches. The backports source is written as deb822 with the archive's own Signed-By.
#
# Environment: APT_ETC (default /etc/apt), DEBIAN_CODENAME (default: /etc/os-release).

apt_etc() { printf '%s' "${APT_ETC:-/etc/apt}"; }

debian_codename() {
  if [ -n "${DEBIAN_CODENAME:-}" ]; then
    printf '%s' "$DEBIAN_CODENAME"
  elif [ -r /etc/os-release ]; then
    (. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
  fi
}

# The files apt reads, in its order: sources.list, then sources.list.d's *.list and *.sources
# files (names of letters, digits, '_', '-' and '.') sorted by name.
apt_source_files() {
  local etc=$1 f name
  [ -f "$etc/sources.list" ] && printf '%s\n' "$etc/sources.list"
  [ -d "$etc/sources.list.d" ] || return 0
  for f in "$etc"/sources.list.d/*; do
    name=${f##*/}
    [ -f "$f" ] || continue
    [[ "$name" =~ ^[A-Za-z0-9_.-]+\.(list|sources)$ ]] || continue
    printf '%s\n' "$f"
  done | LC_ALL=C sort
}

# The deb822 source of CODENAME-backports on the machine's Debian archive, or nothing when no
# enabled Debian source of CODENAME with "main" is configured.
backports_sources() {
  local etc=$1 codename=$2
  [ -n "$codename" ] || return 0
  local files=()
  mapfile -t files < <(apt_source_files "$etc")
  ((${#files[@]})) || return 0
  LC_ALL=C awk -v want="$codename" '
    function reset() { types = ""; uris = ""; suites = ""; comps = ""; enabled = "yes"; sb = ""; last = "" }
    function has(list, word,   n, a, i) {
      n = split(list, a, /[ \t]+/)
      for (i = 1; i <= n; i++) if (a[i] == word) return 1
      return 0
    }
    function found(uri, signed) {
      printf "# Written by Cortexplorer'"'"'s setup (.ci/bootstrap): Mesa from %s-backports.\n", want
      printf "Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\n", uri, want
      if (signed != "") printf "Signed-By: %s\n", signed
      done = 1
      exit
    }
    function stanza(   n, u, i) {
      if (uris == "" || tolower(enabled) == "no") return
      if (!has(types, "deb") || !has(suites, want) || !has(comps, "main")) return
      n = split(uris, u, /[ \t]+/)
      for (i = 1; i <= n; i++) if (u[i] ~ /^https?:\/\//) found(u[i], sb)
    }
    FNR == 1 { if (deb822) stanza(); reset(); deb822 = (FILENAME ~ /\.sources$/) }
    deb822 && /^#/ { next }
    deb822 && /^[ \t]*$/ { stanza(); reset(); next }
    deb822 && /^[ \t]/ {
      # a continuation line: an embedded key of Signed-By keeps its lines, a list its words
      if (last == "signed-by") sb = sb "\n" $0
      else if (last == "types") types = types " " $0
      else if (last == "uris") uris = uris " " $0
      else if (last == "suites") suites = suites " " $0
      else if (last == "components") comps = comps " " $0
      next
    }
    deb822 {
      i = index($0, ":"); if (i == 0) next
      k = tolower(substr($0, 1, i - 1)); v = substr($0, i + 1)
      gsub(/^[ \t]+|[ \t]+$/, "", v); last = k
      if (k == "types") types = v
      else if (k == "uris") uris = v
      else if (k == "suites") suites = v
      else if (k == "components") comps = v
      else if (k == "enabled") enabled = v
      else if (k == "signed-by") sb = v
      next
    }
    {
      line = $0; sub(/#.*/, "", line)
      n = split(line, w, /[ \t]+/); j = 1
      if (w[j] == "") j++
      if (w[j] != "deb") next
      j++; signed = ""
      if (substr(w[j], 1, 1) == "[") {
        # options: "[opt=v opt2=v]" or "[ opt=v ]", over one or more words
        opts = ""
        while (j <= n) { opts = opts " " w[j]; if (w[j] ~ /\]$/) { j++; break } j++ }
        gsub(/[\[\]]/, " ", opts)
        m = split(opts, o, /[ \t]+/)
        for (q = 1; q <= m; q++) if (tolower(o[q]) ~ /^signed-by=/) signed = substr(o[q], 11)
      }
      uri = w[j]; suite = w[j + 1]; hasmain = 0
      for (q = j + 2; q <= n; q++) if (w[q] == "main") hasmain = 1
      if (suite == want && hasmain && uri ~ /^https?:\/\//) found(uri, signed)
    }
    END { if (!done && deb822) stanza() }
  ' "${files[@]}"
}

keep_mesa() {
  echo "keeping Mesa ${1:-22.3}: long sessions without a GPU will grow in memory; see docs/troubleshooting.md ($2)"
}

# Install Mesa from backports; on any failure say so in one line and return 0.
# $1: the command prefix for root ("" or "sudo").
mesa_from_backports() {
  local sudo=$1 mesa=${2:-22.3}
  local etc codename entry own
  etc=$(apt_etc)
  codename=$(debian_codename)
  own="$etc/sources.list.d/cortexplorer-backports"
  # a left-over from an earlier run is rewritten from the configuration, never trusted
  $sudo rm -f "$own.list" "$own.sources"
  entry=$(backports_sources "$etc" "$codename") || entry=""
  if [ -z "$entry" ]; then
    keep_mesa "$mesa" "no Debian archive for '${codename:-unknown release}' in $etc"
    return 0
  fi
  echo "installing Mesa from ${codename}-backports (lavapipe $mesa leaks while drawing)"
  if ! printf '%s\n' "$entry" | $sudo tee "$own.sources" >/dev/null; then
    keep_mesa "$mesa" "could not write $own.sources"
    return 0
  fi
  # a failing third-party source makes apt-get update complain; what matters is whether
  # backports is now known to apt
  $sudo apt-get update -qq || true
  local policy
  policy=$(apt-cache policy 2>/dev/null) || policy=""
  if ! grep -q "n=${codename}-backports" <<<"$policy"; then
    $sudo rm -f "$own.sources"
    keep_mesa "$mesa" "${codename}-backports could not be fetched"
    return 0
  fi
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -t "${codename}-backports" mesa-vulkan-drivers; then
    keep_mesa "$mesa" "installing from ${codename}-backports failed"
    return 0
  fi
}
