"""Writes constant-limit test inputs: a literal just over ("over") or exactly
at ("at") the 65536-element limit for inline kestrel.constant literals."""
import sys

count = {"over": 65537, "at": 65536}[sys.argv[1]]
# f16 values 0x0000..0x7fff cycling, little-endian, as an MLIR hex literal.
data = "".join("%02X%02X" % (i & 0xFF, (i >> 8) & 0x7F) for i in range(count))
if sys.argv[1] == "over":
    print("// expected-error @+2 {{'kestrel.constant' op literal with 65537 "
          "elements exceeds the 65536-element limit for inline constants; "
          "store it as a kestrel.weight}}")
print("func.func @f() {")
print("  %%0 = kestrel.constant dense<\"0x%s\"> : tensor<%dxf16>" % (data, count))
print("  %1 = kestrel.constant dense<1.0> : tensor<1048576xf16>")
print("  return")
print("}")
