#include "router/chunked_decoder.h"

#include <cstring>

namespace cairn::router {
namespace {

bool IsTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsWhitespace(unsigned char c) { return c == ' ' || c == '\t'; }

// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
bool IsQdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

// The byte after a backslash: HTAB / SP / VCHAR / obs-text.
bool IsQuotable(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

// A field-value byte: SP / HTAB / VCHAR / obs-text (no CTL, no DEL).
bool IsFieldValueByte(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

}  // namespace

ChunkedDecoder::State ChunkedDecoder::Fail(HttpError error) {
  step_ = Step::kError;
  error_ = error;
  return State::kError;
}

ChunkedDecoder::State ChunkedDecoder::Decode(char* buf, size_t len, size_t* decoded,
                                             size_t* leftover) {
  size_t out = 0;  // decoded data bytes, moved to the front of buf
  size_t i = 0;
  *leftover = 0;
  auto fail = [&](HttpError error) {
    *decoded = out;
    return Fail(error);
  };
  while (i < len) {
    if (step_ == Step::kData) {
      // The hot path: whole runs of data, one move each.
      size_t take = remaining_ < len - i ? static_cast<size_t>(remaining_) : len - i;
      if (out != i) std::memmove(buf + out, buf + i, take);
      out += take;
      i += take;
      remaining_ -= take;
      if (remaining_ == 0) step_ = Step::kDataCr;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(buf[i]);
    if (step_ <= Step::kExtQuotedEnd) {
      // A size line: its CR ends it where the grammar may end (after the size, a name, a
      // value); a bare LF is framing, not an extension.
      if (c == '\r' || c == '\n') {
        bool may_end = step_ == Step::kSize || step_ == Step::kExtName ||
                       step_ == Step::kExtToken || step_ == Step::kExtQuotedEnd;
        if (c == '\n') return fail(HttpError::kInvalidChunk);
        if (!may_end) {
          return fail(step_ == Step::kSizeFirst ? HttpError::kInvalidChunkSize
                                                : HttpError::kInvalidChunkExtension);
        }
        step_ = Step::kSizeLf;
        ++i;
        continue;
      }
      if (++line_bytes_ > limits_.max_line_bytes) return fail(HttpError::kChunkLineTooLong);
    }
    switch (step_) {
      case Step::kSizeFirst:
      case Step::kSize: {
        int v = HexValue(c);
        if (v >= 0) {
          if (size_ > (UINT64_MAX >> 4)) return fail(HttpError::kChunkSizeOverflow);
          size_ = (size_ << 4) | static_cast<uint64_t>(v);
          step_ = Step::kSize;
        } else if (step_ == Step::kSizeFirst) {
          return fail(HttpError::kInvalidChunkSize);
        } else if (c == ';') {
          step_ = Step::kExtNameStart;
        } else if (IsWhitespace(c)) {
          step_ = Step::kExtBws;
        } else {
          return fail(HttpError::kInvalidChunkSize);
        }
        break;
      }
      case Step::kExtBws:
      case Step::kExtQuotedEnd:
        if (c == ';') {
          step_ = Step::kExtNameStart;
        } else if (IsWhitespace(c)) {
          step_ = Step::kExtBws;
        } else {
          return fail(HttpError::kInvalidChunkExtension);
        }
        break;
      case Step::kExtNameStart:
        if (IsTchar(c)) {
          step_ = Step::kExtName;
        } else if (!IsWhitespace(c)) {
          return fail(HttpError::kInvalidChunkExtension);
        }
        break;
      case Step::kExtName:
      case Step::kExtNameBws:
        if (IsTchar(c) && step_ == Step::kExtName) {
          // still the name
        } else if (IsWhitespace(c)) {
          step_ = Step::kExtNameBws;
        } else if (c == '=') {
          step_ = Step::kExtValueStart;
        } else if (c == ';') {
          step_ = Step::kExtNameStart;
        } else {
          return fail(HttpError::kInvalidChunkExtension);
        }
        break;
      case Step::kExtValueStart:
        if (c == '"') {
          step_ = Step::kExtQuoted;
        } else if (IsTchar(c)) {
          step_ = Step::kExtToken;
        } else if (!IsWhitespace(c)) {
          return fail(HttpError::kInvalidChunkExtension);
        }
        break;
      case Step::kExtToken:
        if (IsTchar(c)) {
          // still the value
        } else if (c == ';') {
          step_ = Step::kExtNameStart;
        } else if (IsWhitespace(c)) {
          step_ = Step::kExtBws;
        } else {
          return fail(HttpError::kInvalidChunkExtension);
        }
        break;
      case Step::kExtQuoted:
        if (c == '"') {
          step_ = Step::kExtQuotedEnd;
        } else if (c == '\\') {
          step_ = Step::kExtQuotedPair;
        } else if (!IsQdtext(c)) {
          return fail(HttpError::kInvalidChunkExtension);
        }
        break;
      case Step::kExtQuotedPair:
        if (!IsQuotable(c)) return fail(HttpError::kInvalidChunkExtension);
        step_ = Step::kExtQuoted;
        break;
      case Step::kSizeLf:
        if (c != '\n') return fail(HttpError::kInvalidChunk);
        line_bytes_ = 0;
        if (size_ == 0) {
          step_ = Step::kTrailerStart;
        } else {
          remaining_ = size_;
          size_ = 0;
          step_ = Step::kData;
        }
        break;
      case Step::kDataCr:
        if (c != '\r') return fail(HttpError::kInvalidChunk);
        step_ = Step::kDataLf;
        break;
      case Step::kDataLf:
        if (c != '\n') return fail(HttpError::kInvalidChunk);
        step_ = Step::kSizeFirst;
        break;
      case Step::kTrailerStart:
      case Step::kTrailerName:
      case Step::kTrailerValue:
      case Step::kTrailerLf:
        if (step_ == Step::kTrailerStart && c == '\r') {
          step_ = Step::kEndLf;  // the empty line that ends the body is no trailer
          break;
        }
        if (++trailer_bytes_ > limits_.max_trailer_bytes) {
          return fail(HttpError::kTrailerTooLarge);
        }
        if (step_ == Step::kTrailerStart) {
          if (IsTchar(c)) {
            step_ = Step::kTrailerName;
          } else {
            // A space here is obs-fold, a bare LF a line without CR: both refused.
            return fail(HttpError::kInvalidTrailer);
          }
        } else if (step_ == Step::kTrailerName) {
          if (c == ':') {
            step_ = Step::kTrailerValue;
          } else if (!IsTchar(c)) {
            return fail(HttpError::kInvalidTrailer);
          }
        } else if (step_ == Step::kTrailerValue) {
          if (c == '\r') {
            step_ = Step::kTrailerLf;
          } else if (!IsFieldValueByte(c)) {
            return fail(HttpError::kInvalidTrailer);
          }
        } else {  // kTrailerLf
          if (c != '\n') return fail(HttpError::kInvalidTrailer);
          step_ = Step::kTrailerStart;
        }
        break;
      case Step::kEndLf:
        if (c != '\n') return fail(HttpError::kInvalidChunk);
        step_ = Step::kDone;
        ++i;
        *decoded = out;
        *leftover = len - i;
        if (*leftover > 0 && out != i) std::memmove(buf + out, buf + i, *leftover);
        return State::kDone;
      case Step::kData:
        break;  // handled above
      case Step::kDone:
      case Step::kError:
        *decoded = out;
        return step_ == Step::kDone ? State::kDone : State::kError;
    }
    ++i;
  }
  *decoded = out;
  if (step_ == Step::kError) return State::kError;
  return step_ == Step::kDone ? State::kDone : State::kNeedMore;
}

}  // namespace cairn::router
