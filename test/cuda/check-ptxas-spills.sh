#!/usr/bin/env bash
#===- check-ptxas-spills.sh - No register spills in the mma kernels ------===#
#
# Compiles the mma.sync GEMM (kernels/cuda/Gemm.cuh) for the tile
# configurations kestrelc instantiates, Attention.cu (the mma.sync flash
# attention and the warp-per-row kernel) and Matmul.cu (the library's
# cuBLASLt glue, GEMV and CUDA-core GEMM kernels), with `-Xptxas -v` for
# each architecture; writes one line per kernel to REPORT (arch, registers,
# static and dynamic shared memory, stack frame, spill stores, spill loads,
# kernel); prints the table; and fails if any kernel spills.
#
#   test/cuda/check-ptxas-spills.sh [options] REPORT [-- NVCC_FLAGS...]
#
#   -n NVCC     the compiler (default: $NVCC, else nvcc on PATH, else
#               /usr/local/cuda/bin/nvcc)
#   -a ARCHS    space-separated architectures (default: "80 90a")
#   -g          the tensor-core kernels only (skip Matmul.cu)
#   -j JOBS     compiles run in parallel (default 1)
#
# Flags after `--` go to every nvcc command. -maxrregcount does not apply to
# kernels with __launch_bounds__ (all of these); to see the check fail, cap
# the GEMM template's registers with -- -DKESTREL_GEMM_MIN_BLOCKS=4.
#
# Exit status: 0 no spills, 1 a kernel spills, 2 a usage or compile error.
#
#===----------------------------------------------------------------------===#

set -euo pipefail

usage() {
  sed -n '/^#   test/,/^# Exit/p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

nvcc=${NVCC:-}
archs="80 90a"
gemmOnly=0
jobs=1
while getopts "n:a:gj:h" opt; do
  case $opt in
  n) nvcc=$OPTARG ;;
  a) archs=$OPTARG ;;
  g) gemmOnly=1 ;;
  j) jobs=$OPTARG ;;
  *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -ge 1 ]] || usage
report=$1
shift
if [[ $# -gt 0 ]]; then
  [[ $1 == "--" ]] || usage
  shift
fi
extra=("$@")

if [[ -z $nvcc ]]; then
  nvcc=$(command -v nvcc || true)
  [[ -n $nvcc ]] || nvcc=/usr/local/cuda/bin/nvcc
fi
if ! "$nvcc" --version >/dev/null 2>&1; then
  echo "check-ptxas-spills: cannot run nvcc ($nvcc)" >&2
  exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kestrel-spills.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The configurations under test: BM BN BK WARPS_M WARPS_N.
configs=("128 128 32 2 4" "64 64 32 2 2" "16 128 64 1 4" "32 128 64 1 4")

gencode=()
for arch in $archs; do
  gencode+=("-gencode" "arch=compute_${arch},code=sm_${arch}")
done
flags=(-std=c++17 -O3 -I"$root" -Xcompiler -Wall,-Wextra "${extra[@]}")

# One translation unit per configuration (every type and layout), so that
# -j can spread them.
sources=()
i=0
for cfg in "${configs[@]}"; do
  read -r bm bn bk wm wn <<<"$cfg"
  src=$work/gemm_$i.cu
  cat >"$src" <<EOF
#include "kernels/cuda/Gemm.cuh"
bool kestrel_gemm_$i(kestrel::cuda::Context &c,
                     const kestrel::cuda::GemmArgs &a) {
  return kestrel::cuda::gemmMma<$bm, $bn, $bk, $wm, $wn>(c, a);
}
// A multi_matmul's split output (its lhs is never transposed).
bool kestrel_gemm_split_$i(kestrel::cuda::Context &c,
                           const kestrel::cuda::GemmArgs &a) {
  using namespace kestrel::cuda::gemm_variant;
  return kestrel::cuda::gemmMma<$bm, $bn, $bk, $wm, $wn,
                                kBf16 | kNN | kNT | kSplit>(c, a);
}
EOF
  sources+=("$src")
  i=$((i + 1))
done
sources+=("$root/kernels/cuda/Attention.cu")
[[ $gemmOnly == 1 ]] || sources+=("$root/kernels/cuda/Matmul.cu")

# The mma kernels' shared memory is dynamic (ptxas does not see it): a host
# program prints MmaConfig<...>::kSmemBytes for every configuration and
# layout, keyed like the kernel names.
table=$work/smem.cu
{
  echo '#include "kernels/cuda/Gemm.cuh"'
  echo '#include <cstdio>'
  echo 'template <int BM, int BN, int BK, int WM, int WN, bool TA, bool TB>'
  echo 'void row() {'
  echo '  using C = kestrel::cuda::gemm_detail::MmaConfig<BM, BN, BK, WM, WN, TA, TB>;'
  echo '  std::printf("%d,%d,%d,%d,%d,%s,%s %d %d\n", BM, BN, BK, WM, WN,'
  echo '              TA ? "true" : "false", TB ? "true" : "false",'
  echo '              C::kSmemBytes, C::kStages);'
  echo '}'
  echo 'int main() {'
  for cfg in "${configs[@]}"; do
    c=${cfg// /, }
    for ta in false true; do
      for tb in false true; do
        echo "  row<$c, $ta, $tb>();"
      done
    done
  done
  echo '}'
} >"$table"

compile() { # source log; the exit status goes to log.rc
  local rc=0
  "$nvcc" "${flags[@]}" "${gencode[@]}" -Xptxas -v -c "$1" \
    -o "${2%.log}.o" >"$2" 2>&1 || rc=$?
  echo "$rc" >"$2.rc"
}

start=$(date +%s)
pids=()
logs=()
n=0
for src in "${sources[@]}"; do
  log=$work/$(basename "${src%.cu}").log
  logs+=("$log")
  compile "$src" "$log" &
  pids+=($!)
  n=$((n + 1))
  if ((n % jobs == 0)); then
    for p in "${pids[@]}"; do
      wait "$p" || true
    done
    pids=()
  fi
done
for p in "${pids[@]}"; do
  wait "$p" || true
done
"$nvcc" -std=c++17 -I"$root" "$table" -o "$work/smem" >"$work/smem.log" 2>&1 &&
  "$work/smem" >"$work/smem.txt" || {
  cat "$work/smem.log" >&2
  echo "check-ptxas-spills: cannot build the shared-memory table" >&2
  exit 2
}
elapsed=$(($(date +%s) - start))

failed=0
for log in "${logs[@]}"; do
  if [[ $(cat "$log.rc" 2>/dev/null) != 0 ]]; then
    echo "check-ptxas-spills: $(basename "${log%.log}") failed to compile:" >&2
    grep -v "^ptxas info" "$log" >&2 || true
    failed=1
  elif grep -q "warning" "$log"; then
    echo "check-ptxas-spills: $(basename "${log%.log}") has warnings:" >&2
    grep "warning" "$log" >&2
  fi
done
[[ $failed == 0 ]] || exit 2

demangle() { if command -v c++filt >/dev/null; then c++filt; else cat; fi; }

# ptxas -v prints per kernel: "Compiling entry function 'NAME' for 'sm_XX'",
# "N bytes stack frame, N bytes spill stores, N bytes spill loads" and
# "Used N registers, ..., N bytes smem, ...".
cat "${logs[@]}" | awk '
  /Compiling entry function/ {
    match($0, /function .[^ ]+. for/); name = substr($0, RSTART + 10, RLENGTH - 15)
    match($0, /for .sm_[0-9a-z]+./); arch = substr($0, RSTART + 5, RLENGTH - 6)
    stack = st = ld = 0; next
  }
  /bytes stack frame/ {
    stack = $1; st = $5; ld = $9; next
  }
  /Used [0-9]+ registers/ && name != "" {
    match($0, /Used [0-9]+ registers/); regs = substr($0, RSTART + 5, RLENGTH - 15)
    smem = 0
    if (match($0, /[0-9]+ bytes smem/)) smem = substr($0, RSTART, RLENGTH - 11)
    print arch "\t" regs "\t" smem "\t" stack "\t" st "\t" ld "\t" name
    name = ""
  }' >"$work/raw.tsv"

n='([0-9]+), '
mmaName="gemmMmaKernel<[a-z0-9_]+, $n$n$n$n$n(true|false), (true|false), (true|false)>"
{
  printf "arch\tregs\tsmem\tdyn_smem\tstages\tstack\tspill_st\tspill_ld\tkernel\n"
  cut -f7 "$work/raw.tsv" | demangle | paste "$work/raw.tsv" - |
    while IFS=$'\t' read -r arch regs smem stack st ld _ kernel; do
      kernel=${kernel//kestrel::cuda::/}
      kernel=${kernel//gemm_detail::/}
      kernel=${kernel//(anonymous namespace)::/}
      kernel=${kernel//__nv_bfloat16/bf16}
      kernel=${kernel//__half/f16}
      dyn=0 stages=-
      if [[ $kernel =~ $mmaName ]]; then
        key=$(IFS=,; echo "${BASH_REMATCH[*]:1:7}")
        read -r dyn stages < <(awk -v k="$key" '$1 == k { print $2, $3 }' \
          "$work/smem.txt")
      fi
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$arch" "$regs" "$smem" \
        "$dyn" "$stages" "$stack" "$st" "$ld" "${kernel%%(*}"
    done
} >"$report"

column -t -s $'\t' "$report" 2>/dev/null || cat "$report"
kernels=$(($(wc -l <"$report") - 1))
spills=$(awk -F'\t' 'NR > 1 && ($7 != 0 || $8 != 0)' "$report" | wc -l)
echo
echo "$kernels kernels for sm_{${archs// /,}} in ${elapsed}s; report: $report"
if [[ $kernels == 0 ]]; then
  echo "check-ptxas-spills: no kernels found in the ptxas output" >&2
  exit 2
fi
if [[ $spills != 0 ]]; then
  echo "check-ptxas-spills: FAIL: $spills kernels spill registers:" >&2
  awk -F'\t' 'NR > 1 && ($7 != 0 || $8 != 0) {
    print "  " $1 "  " $9 "  (" $7 " bytes spill stores, " $8 " bytes spill loads)"
  }' "$report" >&2
  exit 1
fi
echo "check-ptxas-spills: PASS: no spills"
