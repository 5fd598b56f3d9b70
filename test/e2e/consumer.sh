#!/usr/bin/env bash
# Uses a compiled model as an application does, out of tree:
#   1. kestrelc writes only the deliverables; the library's SONAME is
#      libNAME.so and it exports only the C API and NAME_model();
#   2. examples/cmake-app (C++17, four threads, a session each, the API's
#      errors) finds the model with find_package, builds in its own tree and
#      runs from another directory (weights found beside the library);
#   3. the output folder is moved: the app runs again with LD_LIBRARY_PATH,
#      and its installed tree (app, library, weights; rpath $ORIGIN/../lib)
#      runs from a copy with nothing else;
#   4. examples/tiny_llama_app.c builds with pkg-config's flags from the
#      moved folder and runs.
#   test/e2e/consumer.sh KESTRELC WORKDIR
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
kestrelc="$(realpath "$1")"
work="$2"
rm -rf "$work"
mkdir -p "$work/elsewhere"
out="$work/out"
fail() { echo "consumer: FAIL: $*" >&2; exit 1; }

"$kestrelc" "$root/test/models/fixtures/llama-opset17/model.onnx" -o "$out" \
  --name tiny_llama --cpu=x86-64-v3 \
  --dim-range batch=1:8 --dim-range seq=1:512

echo "== deliverables"
expected="kestrel kestrel/runtime.h libtiny_llama.so tiny_llama.h
tiny_llama.kweights tiny_llama.kweights.json tiny_llama.pc
tiny_llamaConfig.cmake tiny_llamaConfigVersion.cmake"
actual=$(cd "$out" && find . -mindepth 1 | sed 's|^\./||' | sort)
if [ "$actual" != "$(tr ' ' '\n' <<<"$expected" | sort)" ]; then
  fail "the output folder holds: $(echo $actual)"
fi
mode=$(stat -c %a "$out")
[ "$mode" = "$(printf '%o' $((0777 & ~$(umask))))" ] ||
  fail "the output folder is mode $mode under umask $(umask)"
echo "ok: $(echo $actual)"

echo "== SONAME and exports"
lib="$out/libtiny_llama.so"
readelf -d "$lib" | grep -q 'SONAME.*\[libtiny_llama\.so\]' ||
  fail "no SONAME libtiny_llama.so: $(readelf -d "$lib" | grep SONAME)"
if readelf -d "$lib" | grep -qE 'RPATH|RUNPATH'; then
  fail "an rpath: $(readelf -d "$lib" | grep -E 'RPATH|RUNPATH')"
fi
exports=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//')
others=$(grep -vE '^(kestrel_[a-z_]+|tiny_llama_model|KESTREL_RUNTIME_[0-9]+)$' \
  <<<"$exports" || true)
[ -z "$others" ] || fail "exports more than the C API: $(echo $others | head -c 400)"
grep -qx kestrel_model_open <<<"$exports" || fail "kestrel_model_open not exported"
grep -qx tiny_llama_model <<<"$exports" || fail "tiny_llama_model not exported"
echo "ok: $(wc -l <<<"$exports") symbols, all kestrel_*, tiny_llama_model and the version node"

echo "== CMake: find_package(tiny_llama CONFIG)"
cmake -S "$root/examples/cmake-app" -B "$work/app-build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -Dtiny_llama_DIR="$out" >/dev/null
cmake --build "$work/app-build" >/dev/null
app="$work/app-build/tiny_llama_threads"
readelf -d "$app" | grep -q 'NEEDED.*\[libtiny_llama\.so\]' ||
  fail "the app does not record libtiny_llama.so by SONAME: $(readelf -d "$app" | grep NEEDED)"
(cd "$work/elsewhere" && "$app" 4)
cmake --install "$work/app-build" --prefix "$work/installed" >/dev/null

echo "== the output folder moved"
mv "$out" "$work/moved"
if (cd "$work/elsewhere" && "$app" 1 >/dev/null 2>&1); then
  fail "the app still ran with its rpath pointing at the old folder"
fi
(cd "$work/elsewhere" && LD_LIBRARY_PATH="$work/moved" "$app" 4)
cp -r "$work/installed" "$work/copied"
rm -rf "$work/installed"
readelf -d "$work/copied/bin/tiny_llama_threads" | grep -q 'R.*PATH.*\$ORIGIN/\.\./lib' ||
  fail "the installed app has no \$ORIGIN rpath: $(readelf -d "$work/copied/bin/tiny_llama_threads" | grep PATH)"
(cd "$work/elsewhere" && env -u LD_LIBRARY_PATH "$work/copied/bin/tiny_llama_threads" 2)

echo "== pkg-config"
flags=$(PKG_CONFIG_PATH="$work/moved" pkg-config --cflags --libs tiny_llama)
echo "pkg-config --cflags --libs tiny_llama: $flags"
cc -std=c11 -O2 -Wall -Wextra -Werror "$root/examples/tiny_llama_app.c" \
  $flags -o "$work/c-app"
(cd "$work/elsewhere" && LD_LIBRARY_PATH="$work/moved" "$work/c-app" - 9)
weights=$(PKG_CONFIG_PATH="$work/moved" pkg-config --variable=weights tiny_llama)
[ -f "$weights" ] || fail "pkg-config's weights variable names no file: $weights"
echo "consumer: all passed"
