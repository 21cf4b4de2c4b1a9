# Shared helpers for the tools/ scripts. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Compiler flags for every build: tuned for this machine's CPU (AVX etc.) unless AUTOREC_PORTABLE=1.
# Binaries are built where they run (setup builds them), so `native` is safe and 25-40% faster.
# Where the CPU has AVX2 and FMA, the sparse kernels also use their x86 intrinsics (AUTOREC_AVX2).
SWIFT_FLAGS=()
if [ "${AUTOREC_PORTABLE:-0}" != "1" ]; then
  SWIFT_FLAGS=(-Xswiftc -target-cpu -Xswiftc native)
  if grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null; then
    SWIFT_FLAGS+=(-Xswiftc -DAUTOREC_AVX2)
  fi
fi

# Installs the given Debian packages (root, or through sudo).
apt_install() {
  say "installing $*"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Installs the Debian packages the project needs when any is missing.
ensure_packages() {
  local need=()
  for p in libopenblas-dev libpq-dev postgresql pkg-config; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
}

# python3 for the benchmark scripts' small report helpers (Debian's package; nothing from PyPI).
ensure_python() {
  command -v python3 >/dev/null 2>&1 || apt_install python3
}

# Debian's chromium, headless, for the test that renders the HTML report in a real browser.
ensure_browser() {
  command -v chromium >/dev/null 2>&1 || apt_install chromium
}

ensure_swift() {
  command -v swift >/dev/null || die "Swift 6 toolchain not found (expected on PATH or in /opt/swift)"
}

# Drops the build's progress lines; never fails itself, so that under pipefail a pipeline into it
# fails exactly when the build does.
quiet_build_output() { grep -Ev '^(\[[0-9]+/[0-9]+\]|Building for|Compiling|Write|Emitting)|the use of .mktemp. is dangerous' || true; }

# Release build of the CLI; a failed build stops the calling script. The Swift runtime and
# Foundation are linked statically (--static-swift-stdlib): the process starts about three times
# faster, which is most of a `recommend --user` lookup. That build lives in .build-static/ so that
# it does not undo the test build in .build/ (the flag changes every module's build).
build_release() {
  say "building autorec (release)"
  (cd "$ROOT" && swift build -c release --static-swift-stdlib --scratch-path "$ROOT/.build-static" "${SWIFT_FLAGS[@]}" 2>&1 \
    | quiet_build_output) || die "build failed (see the errors above)"
  [ -x "$ROOT/.build-static/release/autorec" ] || die "build failed; run 'swift build -c release' to see why"
  AUTOREC="$ROOT/.build-static/release/autorec"
}
