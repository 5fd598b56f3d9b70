//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// Format: the 6-byte magic "\x93NUMPY", a major and minor version byte, the
// header length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), the
// header -- a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a newline -- and the raw data.
//
//===----------------------------------------------------------------------===//

#include "tools/kestrel-run/Npy.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

namespace kestrel::npy {

namespace {
constexpr char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
constexpr size_t kHeaderAlignment = 64;

struct DTypeEntry {
  DType dtype;
  const char *descr;
  const char *name;
  size_t size;
};
constexpr DTypeEntry kDTypes[] = {
    {DType::F64, "<f8", "float64", 8}, {DType::F32, "<f4", "float32", 4},
    {DType::F16, "<f2", "float16", 2}, {DType::I64, "<i8", "int64", 8},
    {DType::I32, "<i4", "int32", 4},   {DType::Bool, "|b1", "bool", 1},
};

const DTypeEntry &entry(DType dtype) {
  for (const DTypeEntry &e : kDTypes)
    if (e.dtype == dtype)
      return e;
  return kDTypes[1];
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

/// The header as it can be shown in a message: printable ASCII only, cut
/// to a reasonable length.
std::string quoteHeader(const char *text, size_t size) {
  constexpr size_t kMaxShown = 120;
  // Trailing padding says nothing.
  while (size && (text[size - 1] == ' ' || text[size - 1] == '\n'))
    --size;
  std::string s;
  for (size_t i = 0; i < size && i < kMaxShown; ++i) {
    unsigned char c = text[i];
    if (c >= 0x20 && c < 0x7f) {
      s += static_cast<char>(c);
    } else if (c == '\n') {
      s += "\\n";
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      s += buf;
    }
  }
  if (size > kMaxShown)
    s += "...";
  return s;
}

/// A recursive-descent parser for the header's dict literal: string keys,
/// and string, True/False or tuple-of-integers values.
class HeaderParser {
public:
  HeaderParser(const char *text, size_t size)
      : begin(text), cur(text), end(text + size) {}

  bool parse(std::string &descr, bool &fortranOrder,
             std::vector<int64_t> &shape, std::string &error) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!consume('{'))
      return fail("expected '{'", error);
    skipSpace();
    while (!consume('}')) {
      std::string key;
      if (!parseString(key))
        return fail("expected a quoted key", error);
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' after key '" + key + "'", error);
      skipSpace();
      if (key == "descr") {
        if (haveDescr)
          return fail("duplicate key 'descr'", error);
        haveDescr = true;
        if (!parseString(descr))
          return fail("'descr' must be a dtype string such as '<f4' "
                      "(structured dtypes are not supported)",
                      error);
      } else if (key == "fortran_order") {
        if (haveOrder)
          return fail("duplicate key 'fortran_order'", error);
        haveOrder = true;
        if (!parseBool(fortranOrder))
          return fail("'fortran_order' must be True or False", error);
      } else if (key == "shape") {
        if (haveShape)
          return fail("duplicate key 'shape'", error);
        haveShape = true;
        std::string why;
        if (!parseShape(shape, why))
          return fail("bad 'shape': " + why, error);
      } else {
        return fail("unexpected key '" + key + "'", error);
      }
      skipSpace();
      if (consume(',')) {
        skipSpace();
        continue;
      }
      skipSpace();
      if (!consume('}'))
        return fail("expected ',' or '}'", error);
      break;
    }
    skipSpace();
    if (cur != end)
      return fail("unexpected text after '}'", error);
    if (!haveDescr || !haveOrder || !haveShape) {
      std::string missing;
      for (auto [have, name] : {std::pair{haveDescr, "descr"},
                                {haveOrder, "fortran_order"},
                                {haveShape, "shape"}})
        if (!have)
          missing +=
              std::string(missing.empty() ? "" : ", ") + "'" + name + "'";
      cur = end;
      return fail("missing key " + missing, error);
    }
    return true;
  }

private:
  bool fail(const std::string &why, std::string &error) {
    error = "malformed .npy header: " + why + " at offset " +
            std::to_string(cur - begin) + " in \"" +
            quoteHeader(begin, end - begin) + "\"";
    return false;
  }

  void skipSpace() {
    while (cur != end &&
           (*cur == ' ' || *cur == '\t' || *cur == '\n' || *cur == '\r'))
      ++cur;
  }

  bool consume(char c) {
    if (cur == end || *cur != c)
      return false;
    ++cur;
    return true;
  }

  bool parseString(std::string &out) {
    if (cur == end || (*cur != '\'' && *cur != '"'))
      return false;
    char quote = *cur;
    const char *start = cur + 1;
    for (const char *p = start; p != end; ++p) {
      // No escapes: no key or dtype needs them.
      if (*p == '\\' || *p == '\n')
        return false;
      if (*p == quote) {
        out.assign(start, p);
        cur = p + 1;
        return true;
      }
    }
    return false;
  }

  bool parseKeyword(const char *word) {
    size_t n = std::strlen(word);
    if (static_cast<size_t>(end - cur) < n || std::memcmp(cur, word, n) != 0)
      return false;
    // "Truex" is not a keyword.
    if (cur + n != end &&
        (std::isalnum(static_cast<unsigned char>(cur[n])) || cur[n] == '_'))
      return false;
    cur += n;
    return true;
  }

  bool parseBool(bool &out) {
    if (parseKeyword("True"))
      return out = true, true;
    if (parseKeyword("False"))
      return out = false, true;
    return false;
  }

  bool parseDim(int64_t &out, std::string &why) {
    if (cur != end && *cur == '-')
      return why = "negative dimension", false;
    if (cur == end || !std::isdigit(static_cast<unsigned char>(*cur)))
      return why = "expected a dimension", false;
    uint64_t value = 0;
    while (cur != end && std::isdigit(static_cast<unsigned char>(*cur))) {
      value = value * 10 + (*cur++ - '0');
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return why = "dimension too large", false;
    }
    // Python 2 wrote long integers as "3L".
    if (cur != end && *cur == 'L')
      ++cur;
    out = static_cast<int64_t>(value);
    return true;
  }

  bool parseShape(std::vector<int64_t> &shape, std::string &why) {
    shape.clear();
    if (!consume('('))
      return why = "expected a tuple", false;
    skipSpace();
    if (consume(')'))
      return true;
    while (true) {
      int64_t dim;
      if (!parseDim(dim, why))
        return false;
      shape.push_back(dim);
      skipSpace();
      if (consume(')')) {
        // "(3)" is an integer in Python, not a tuple.
        if (shape.size() == 1)
          return why = "a 1-d shape needs a trailing comma, e.g. (3,)", false;
        return true;
      }
      if (!consume(','))
        return why = "expected ',' or ')'", false;
      skipSpace();
      if (consume(')'))
        return true;
    }
  }

  const char *begin, *cur, *end;
};

bool descrToDType(const std::string &descr, DType &dtype, std::string &error) {
  for (const DTypeEntry &e : kDTypes) {
    if (descr == e.descr) {
      dtype = e.dtype;
      return true;
    }
  }
  std::string supported;
  for (const DTypeEntry &e : kDTypes)
    supported += std::string(supported.empty() ? "" : " ") + e.descr;
  if (!descr.empty() && descr[0] == '>')
    error = "big-endian dtype '" + descr +
            "' is not supported (save with arr.astype(arr.dtype.newbyteorder("
            "'<')))";
  else
    error = "unsupported dtype '" + descr + "' (supported: " + supported + ")";
  return false;
}

uint32_t readLE(const uint8_t *p, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
} // namespace

size_t dtypeSize(DType dtype) { return entry(dtype).size; }
const char *dtypeDescr(DType dtype) { return entry(dtype).descr; }
const char *dtypeName(DType dtype) { return entry(dtype).name; }

bool checkedElementCount(const std::vector<int64_t> &shape, size_t elementSize,
                         size_t &count) {
  constexpr size_t kMax = std::numeric_limits<size_t>::max();
  count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return false;
    if (dim != 0 && count > kMax / static_cast<uint64_t>(dim))
      return false;
    count *= static_cast<size_t>(dim);
  }
  return elementSize == 0 || count <= kMax / elementSize;
}

bool Array::reset(DType dtype, std::vector<int64_t> shape, std::string &error) {
  size_t n;
  if (!checkedElementCount(shape, dtypeSize(dtype), n)) {
    error = "shape " + shapeString(shape) + " of " + dtypeName(dtype) +
            " is invalid or too large";
    return false;
  }
  size_t blocks = (n * dtypeSize(dtype) + sizeof(Block) - 1) / sizeof(Block);
  // At least one block: an empty array still has a non-null data pointer.
  storage.assign(blocks ? blocks : 1, Block{});
  type = dtype;
  dims = std::move(shape);
  count = n;
  return true;
}

bool parseNpy(const uint8_t *bytes, size_t size, Array &out,
              std::string &error) {
  if (size < sizeof(kMagic) ||
      std::memcmp(bytes, kMagic, sizeof(kMagic)) != 0) {
    error = "not a .npy file (no \\x93NUMPY magic)";
    return false;
  }
  if (size < 10) {
    error = "truncated .npy file (" + std::to_string(size) + " bytes)";
    return false;
  }
  unsigned major = bytes[6], minor = bytes[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    error = "unsupported .npy format version " + std::to_string(major) + "." +
            std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)";
    return false;
  }
  size_t lengthBytes = major == 1 ? 2 : 4;
  size_t prefix = 8 + lengthBytes;
  if (size < prefix) {
    error = "truncated .npy file (" + std::to_string(size) + " bytes)";
    return false;
  }
  size_t headerLength = readLE(bytes + 8, lengthBytes);
  if (headerLength > size - prefix) {
    error = "truncated .npy header: it declares " +
            std::to_string(headerLength) + " bytes, the file has " +
            std::to_string(size - prefix) + " after the preamble";
    return false;
  }

  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
  HeaderParser parser(reinterpret_cast<const char *>(bytes + prefix),
                      headerLength);
  if (!parser.parse(descr, fortranOrder, shape, error))
    return false;
  DType dtype;
  if (!descrToDType(descr, dtype, error))
    return false;
  if (fortranOrder) {
    error = "Fortran-order arrays are not supported (save a C-order array: "
            "np.save(path, np.ascontiguousarray(arr)))";
    return false;
  }

  size_t count;
  if (!checkedElementCount(shape, dtypeSize(dtype), count)) {
    error = "shape " + shapeString(shape) + " is too large";
    return false;
  }
  size_t need = count * dtypeSize(dtype);
  size_t have = size - prefix - headerLength;
  if (have != need) {
    error = (have < need ? "truncated .npy data: "
                         : "unexpected .npy data "
                           "size: ") +
            std::string("shape ") + shapeString(shape) + " of " + descr +
            " needs " + std::to_string(need) + " bytes, the file has " +
            std::to_string(have);
    return false;
  }
  const uint8_t *data = bytes + prefix + headerLength;
  if (dtype == DType::Bool) {
    for (size_t i = 0; i < count; ++i) {
      if (data[i] > 1) {
        error = "bool element " + std::to_string(i) + " holds byte " +
                std::to_string(data[i]) + " (expected 0 or 1)";
        return false;
      }
    }
  }
  if (!out.reset(dtype, std::move(shape), error))
    return false;
  if (need)
    std::memcpy(out.data(), data, need);
  return true;
}

bool readNpy(const std::string &path, Array &out, std::string &error) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + n);
  bool readError = std::ferror(file);
  std::fclose(file);
  if (readError) {
    error = "cannot read '" + path + "'";
    return false;
  }
  if (!parseNpy(bytes.data(), bytes.size(), out, error)) {
    error = "'" + path + "': " + error;
    return false;
  }
  return true;
}

bool serializeNpy(DType dtype, const std::vector<int64_t> &shape,
                  const void *data, size_t bytes, std::vector<uint8_t> &out,
                  std::string &error) {
  size_t count;
  if (!checkedElementCount(shape, dtypeSize(dtype), count) ||
      count * dtypeSize(dtype) != bytes) {
    error = "cannot serialize " + std::to_string(bytes) + " bytes as shape " +
            shapeString(shape) + " of " + dtypeName(dtype);
    return false;
  }
  std::string header =
      std::string("{'descr': '") + dtypeDescr(dtype) +
      "', 'fortran_order': False, 'shape': " + shapeString(shape) + ", }";
  // Pad with spaces and a newline so the data starts 64-byte aligned, as
  // numpy does; version 2.0 only when the padded header needs more than the
  // 16-bit length of 1.0.
  auto padded = [&](size_t prefix) {
    size_t total = prefix + header.size() + 1;
    return header.size() + 1 +
           (kHeaderAlignment - total % kHeaderAlignment) % kHeaderAlignment;
  };
  unsigned major = padded(10) > 0xffff ? 2 : 1;
  size_t prefix = major == 1 ? 10 : 12;
  header.resize(padded(prefix) - 1, ' ');
  header += '\n';

  out.clear();
  out.reserve(prefix + header.size() + bytes);
  out.insert(out.end(), kMagic, kMagic + sizeof(kMagic));
  out.push_back(static_cast<uint8_t>(major));
  out.push_back(0);
  for (size_t i = 0; i < prefix - 8; ++i)
    out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  const uint8_t *p = static_cast<const uint8_t *>(data);
  if (bytes)
    out.insert(out.end(), p, p + bytes);
  return true;
}

bool writeNpy(const std::string &path, DType dtype,
              const std::vector<int64_t> &shape, const void *data, size_t bytes,
              std::string &error) {
  std::vector<uint8_t> contents;
  if (!serializeNpy(dtype, shape, data, bytes, contents, error))
    return false;
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file) {
    error = "cannot create '" + path + "': " + std::strerror(errno);
    return false;
  }
  size_t written = std::fwrite(contents.data(), 1, contents.size(), file);
  int writeErrno = errno;
  bool closed = std::fclose(file) == 0;
  if (written != contents.size() || !closed) {
    error = "cannot write '" + path + "': " +
            std::strerror(written != contents.size() ? writeErrno : errno);
    return false;
  }
  return true;
}

} // namespace kestrel::npy
