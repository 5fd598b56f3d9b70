//===- WeightsManifest.cpp - NAME.kweights.json: JSON out and in ----------===//
//
// A small JSON reader (objects, arrays, strings with escapes, numbers,
// true/false/null; nesting limited) is enough for the manifest and keeps
// kestrel-pack free of libraries.
//
//===----------------------------------------------------------------------===//

#include "runtime/WeightsManifest.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <utility>

namespace kestrel::runtime {

namespace {

const struct {
  DType type;
  const char *name;
} kTypeNames[] = {
    {DType::F32, "f32"},           {DType::F16, "f16"}, {DType::BF16, "bf16"},
    {DType::F8E4M3FN, "f8e4m3fn"}, {DType::I64, "i64"}, {DType::I32, "i32"},
    {DType::I1, "bool"},           {DType::U8, "u8"},
};

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", unsigned(c));
        out += buf;
      } else {
        out += c; // UTF-8 passes through
      }
    }
  }
  return out + "\"";
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool boolean = false;
  std::string text; ///< a string's value or a number's spelling
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json *get(std::string_view key) const {
    for (const auto &[k, v] : members)
      if (k == key)
        return &v;
    return nullptr;
  }
};

class JsonParser {
public:
  explicit JsonParser(std::string_view text) : s(text) {}

  bool parse(Json &out, std::string &error) {
    if (!value(out, 0)) {
      error = "malformed JSON at byte " + std::to_string(at) + ": " + why;
      return false;
    }
    skipSpace();
    if (at != s.size()) {
      error = "malformed JSON at byte " + std::to_string(at) +
              ": text after the top-level value";
      return false;
    }
    return true;
  }

private:
  bool fail(const char *message) {
    why = message;
    return false;
  }
  void skipSpace() {
    while (at < s.size() &&
           (s[at] == ' ' || s[at] == '\t' || s[at] == '\n' || s[at] == '\r'))
      ++at;
  }
  bool literal(std::string_view word) {
    if (s.substr(at, word.size()) != word)
      return fail("unknown literal");
    at += word.size();
    return true;
  }

  bool value(Json &out, int depth) {
    if (depth > 32)
      return fail("nested too deeply");
    skipSpace();
    if (at >= s.size())
      return fail("unexpected end of the text");
    char c = s[at];
    if (c == '{')
      return object(out, depth);
    if (c == '[')
      return array(out, depth);
    if (c == '"') {
      out.kind = Json::String;
      return string(out.text);
    }
    if (c == 't' || c == 'f') {
      out.kind = Json::Bool;
      out.boolean = c == 't';
      return literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      out.kind = Json::Null;
      return literal("null");
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return number(out);
    return fail("expected a value");
  }

  bool object(Json &out, int depth) {
    out.kind = Json::Object;
    ++at;
    skipSpace();
    if (at < s.size() && s[at] == '}') {
      ++at;
      return true;
    }
    while (true) {
      skipSpace();
      std::string key;
      if (at >= s.size() || s[at] != '"')
        return fail("expected a string key");
      if (!string(key))
        return false;
      skipSpace();
      if (at >= s.size() || s[at] != ':')
        return fail("expected ':'");
      ++at;
      out.members.emplace_back(std::move(key), Json());
      if (!value(out.members.back().second, depth + 1))
        return false;
      skipSpace();
      if (at < s.size() && s[at] == ',') {
        ++at;
        continue;
      }
      if (at < s.size() && s[at] == '}') {
        ++at;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  bool array(Json &out, int depth) {
    out.kind = Json::Array;
    ++at;
    skipSpace();
    if (at < s.size() && s[at] == ']') {
      ++at;
      return true;
    }
    while (true) {
      out.items.emplace_back();
      if (!value(out.items.back(), depth + 1))
        return false;
      skipSpace();
      if (at < s.size() && s[at] == ',') {
        ++at;
        continue;
      }
      if (at < s.size() && s[at] == ']') {
        ++at;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  bool hex4(uint32_t &v) {
    if (s.size() - at < 4)
      return fail("truncated \\u escape");
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s[at++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= uint32_t(c - 'A' + 10);
      else
        return fail("bad \\u escape");
    }
    return true;
  }

  static void utf8(uint32_t cp, std::string &out) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xc0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += char(0xe0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3f));
      out += char(0x80 | (cp & 0x3f));
    } else {
      out += char(0xf0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3f));
      out += char(0x80 | ((cp >> 6) & 0x3f));
      out += char(0x80 | (cp & 0x3f));
    }
  }

  bool string(std::string &out) {
    ++at; // the opening quote
    while (true) {
      if (at >= s.size())
        return fail("unterminated string");
      char c = s[at++];
      if (c == '"')
        return true;
      if (static_cast<unsigned char>(c) < 0x20)
        return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at >= s.size())
        return fail("unterminated string");
      char e = s[at++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp;
        if (!hex4(cp))
          return false;
        if (cp >= 0xd800 && cp < 0xdc00) {
          uint32_t low;
          if (s.substr(at, 2) != "\\u")
            return fail("unpaired surrogate in a \\u escape");
          at += 2;
          if (!hex4(low))
            return false;
          if (low < 0xdc00 || low >= 0xe000)
            return fail("unpaired surrogate in a \\u escape");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        utf8(cp, out);
        break;
      }
      default:
        return fail("unknown escape in a string");
      }
    }
  }

  bool number(Json &out) {
    out.kind = Json::Number;
    size_t begin = at;
    if (s[at] == '-')
      ++at;
    auto digits = [&] {
      size_t from = at;
      while (at < s.size() && s[at] >= '0' && s[at] <= '9')
        ++at;
      return at > from;
    };
    if (!digits())
      return fail("expected digits");
    if (at < s.size() && s[at] == '.') {
      ++at;
      if (!digits())
        return fail("expected digits after '.'");
    }
    if (at < s.size() && (s[at] == 'e' || s[at] == 'E')) {
      ++at;
      if (at < s.size() && (s[at] == '+' || s[at] == '-'))
        ++at;
      if (!digits())
        return fail("expected an exponent");
    }
    out.text = std::string(s.substr(begin, at - begin));
    return true;
  }

  std::string_view s;
  size_t at = 0;
  const char *why = "";
};

/// A JSON integer (no fraction or exponent) in int64 range.
bool asInt64(const Json &v, int64_t &out) {
  if (v.kind != Json::Number ||
      v.text.find_first_of(".eE") != std::string::npos)
    return false;
  errno = 0;
  char *end = nullptr;
  long long x = std::strtoll(v.text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  out = x;
  return true;
}

} // namespace

const char *manifestTypeName(DType type) {
  for (const auto &t : kTypeNames)
    if (t.type == type)
      return t.name;
  return "unknown";
}

bool parseManifestType(std::string_view name, DType &type) {
  for (const auto &t : kTypeNames)
    if (name == t.name) {
      type = t.type;
      return true;
    }
  return false;
}

std::string manifestJson(const WeightsManifest &manifest) {
  char hash[24];
  std::snprintf(hash, sizeof(hash), "0x%016" PRIx64, manifest.modelHash);
  std::string out = "{\n  \"format\": " + quoted(kManifestFormat) +
                    ",\n  \"version\": " + std::to_string(kManifestVersion) +
                    ",\n  \"model\": " + quoted(manifest.model) +
                    ",\n  \"model_hash\": " + quoted(hash) +
                    ",\n  \"source\": " + quoted(manifest.source) +
                    ",\n  \"tensors\": [";
  for (size_t i = 0; i < manifest.tensors.size(); ++i) {
    const ManifestTensor &t = manifest.tensors[i];
    out += i ? ",\n    " : "\n    ";
    out += "{\"name\": " + quoted(t.name) +
           ", \"dtype\": " + quoted(manifestTypeName(t.dtype)) +
           ", \"source_dtype\": " + quoted(manifestTypeName(t.sourceDtype)) +
           ", \"shape\": [";
    for (size_t d = 0; d < t.shape.size(); ++d)
      out += (d ? ", " : "") + std::to_string(t.shape[d]);
    out += "]}";
  }
  out += manifest.tensors.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

bool writeManifest(const std::string &path, const WeightsManifest &manifest,
                   std::string &error) {
  std::string text = manifestJson(manifest);
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = "cannot create '" + path + "': " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(text.data(), text.size(), 1, f) == 1;
  ok = std::fclose(f) == 0 && ok;
  if (!ok)
    error = "writing '" + path + "' failed: " + std::strerror(errno);
  return ok;
}

bool parseManifest(std::string_view json, WeightsManifest &manifest,
                   std::string &error) {
  Json root;
  if (!JsonParser(json).parse(root, error))
    return false;
  auto bad = [&](const std::string &why) {
    error = why;
    return false;
  };
  if (root.kind != Json::Object)
    return bad("the manifest is not a JSON object");
  auto stringField = [&](const Json &obj, const char *key,
                         const std::string &where, std::string &out) {
    const Json *v = obj.get(key);
    if (!v || v->kind != Json::String)
      return bad(where + "'" + key + "' is missing or not a string");
    out = v->text;
    return true;
  };
  std::string format, hash;
  if (!stringField(root, "format", "", format))
    return false;
  if (format != kManifestFormat)
    return bad("'format' is '" + format + "', not '" + kManifestFormat +
               "' (not a Kestrel weights manifest)");
  int64_t version = 0;
  const Json *v = root.get("version");
  if (!v || !asInt64(*v, version))
    return bad("'version' is missing or not an integer");
  if (version != kManifestVersion)
    return bad("manifest version " + std::to_string(version) +
               "; this tool reads version " + std::to_string(kManifestVersion));
  if (!stringField(root, "model", "", manifest.model) ||
      !stringField(root, "model_hash", "", hash) ||
      !stringField(root, "source", "", manifest.source))
    return false;
  {
    char *end = nullptr;
    errno = 0;
    unsigned long long h =
        hash.size() > 2 && hash[0] == '0' && (hash[1] == 'x' || hash[1] == 'X')
            ? std::strtoull(hash.c_str() + 2, &end, 16)
            : 0;
    if (!end || *end != '\0' || errno != 0 || hash.size() > 18)
      return bad("'model_hash' is '" + hash +
                 "', not a hexadecimal 64-bit number (0x...)");
    manifest.modelHash = h;
  }
  const Json *tensors = root.get("tensors");
  if (!tensors || tensors->kind != Json::Array)
    return bad("'tensors' is missing or not an array");
  manifest.tensors.clear();
  std::set<std::string> names;
  for (size_t i = 0; i < tensors->items.size(); ++i) {
    const Json &t = tensors->items[i];
    std::string where = "tensors[" + std::to_string(i) + "]: ";
    if (t.kind != Json::Object)
      return bad(where + "not an object");
    ManifestTensor out;
    std::string dtype, source;
    if (!stringField(t, "name", where, out.name) ||
        !stringField(t, "dtype", where, dtype) ||
        !stringField(t, "source_dtype", where, source))
      return false;
    where = "tensor '" + out.name + "': ";
    if (out.name.empty())
      return bad("tensors[" + std::to_string(i) + "]: the name is empty");
    if (!names.insert(out.name).second)
      return bad(where + "appears twice");
    if (!parseManifestType(dtype, out.dtype))
      return bad(where + "unknown dtype '" + dtype + "'");
    if (!parseManifestType(source, out.sourceDtype))
      return bad(where + "unknown source_dtype '" + source + "'");
    const Json *shape = t.get("shape");
    if (!shape || shape->kind != Json::Array || shape->items.size() > 64)
      return bad(where + "'shape' is missing or not an array of at most 64 "
                         "dims");
    for (const Json &d : shape->items) {
      int64_t dim;
      if (!asInt64(d, dim) || dim < 0)
        return bad(where + "'shape' holds something other than a "
                           "non-negative integer");
      out.shape.push_back(dim);
    }
    manifest.tensors.push_back(std::move(out));
  }
  return true;
}

bool readManifest(const std::string &path, WeightsManifest &manifest,
                  std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (!parseManifest(text, manifest, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

} // namespace kestrel::runtime
