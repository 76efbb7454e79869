#include "api/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>

namespace cairn::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

ErrorCode CodeFromName(const std::string& name) {
  for (ErrorCode c : {ErrorCode::kInvalidArgument, ErrorCode::kNotFound, ErrorCode::kConflict,
                      ErrorCode::kAlreadyExists, ErrorCode::kUnavailable, ErrorCode::kIo}) {
    if (name == ErrorCodeName(c)) return c;
  }
  return ErrorCode::kInternal;
}

Error Unreachable(const Endpoint& ep, const std::string& why) {
  return MakeError(ErrorCode::kUnavailable,
                   "cannot reach the cairn server at " + ep.ToString() + " (" + why +
                       "); start one with `cairn server` or `cairn up`, or point --addr / "
                       "CAIRN_ADDR at it");
}

// The member `key` of `object` when it is a string, else "": an error reply of another shape
// (a proxy's, another version's) must still give an error, not an exception.
std::string StringMember(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Error ErrorFromReply(unsigned status, const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_object()) {
    auto e = doc.find("error");
    if (e != doc.end() && e->is_object()) {
      return MakeError(CodeFromName(StringMember(*e, "code")), StringMember(*e, "message"),
                       StringMember(*e, "context"));
    }
  }
  return MakeError(ErrorCode::kInternal,
                   "the server answered HTTP " + std::to_string(status) + ": " + body);
}

// Runs one asynchronous operation on `io` to completion and returns its error. tcp_stream's
// expiry (expires_after) applies to asynchronous operations only, so every step that must honour
// the client's timeout goes through here; an expired one ends with beast::error::timeout.
template <typename Initiate>
beast::error_code RunToCompletion(asio::io_context& io, Initiate initiate) {
  beast::error_code result;
  initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

// Connects `stream` to the endpoint within the stream's current expiry.
Status ConnectTo(const Endpoint& endpoint, asio::io_context& io, beast::tcp_stream& stream) {
  beast::error_code ec;
  tcp::endpoint ep(asio::ip::make_address(endpoint.host, ec),
                   static_cast<unsigned short>(endpoint.port));
  if (ec) return Unreachable(endpoint, "bad host: " + ec.message());
  ec = RunToCompletion(io, [&](auto done) { stream.async_connect(ep, done); });
  if (ec) return Unreachable(endpoint, ec.message());
  return OkStatus();
}

}  // namespace

Client::Client(Endpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {}

Result<nlohmann::json> Client::Get(const std::string& target) { return Call("GET", target, ""); }

Result<nlohmann::json> Client::Post(const std::string& target, const nlohmann::json& body) {
  std::string text;
  try {
    text = body.dump();
  } catch (const nlohmann::json::exception&) {
    // A flag's text (-m, --author, a name) that is not UTF-8: JSON cannot carry it.
    return MakeError(ErrorCode::kInvalidArgument,
                     "the request holds text that is not valid UTF-8 (check -m, --author and "
                     "the names given on the command line)");
  }
  return Call("POST", target, text);
}

Result<nlohmann::json> Client::Call(const std::string& method, const std::string& target,
                                    const std::string& body) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(timeout_);  // for connect, send and answer together
  if (auto ok = ConnectTo(endpoint_, io, stream); !ok.ok()) return ok.error();
  beast::error_code ec;
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, endpoint_.ToString());
  req.set(http::field::user_agent, "cairn-cli");
  req.set(http::field::content_type, "application/json");
  req.keep_alive(false);
  req.body() = body;
  req.prepare_payload();
  beast::error_code sent =
      RunToCompletion(io, [&](auto done) { http::async_write(stream, req, done); });
  // A server that refuses a body (413, too large) answers before reading all of it and then
  // closes, so the write can fail with its answer already waiting: read it either way.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  ec = RunToCompletion(io, [&](auto done) { http::async_read(stream, buffer, parser, done); });
  if (ec && sent) return Unreachable(endpoint_, "while sending: " + sent.message());
  if (ec) return Unreachable(endpoint_, "while reading the answer: " + ec.message());
  const auto& res = parser.get();
  unsigned status = res.result_int();
  if (status >= 400) return ErrorFromReply(status, res.body());
  auto doc = nlohmann::json::parse(res.body(), nullptr, false);
  if (doc.is_discarded()) {
    return MakeError(ErrorCode::kInternal, "the server's answer is not JSON: " + res.body());
  }
  return doc;
}

Status Client::Stream(const std::string& target,
                      const std::function<bool(std::string_view)>& sink) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(timeout_);  // for connect and send; the stream itself has none
  if (auto ok = ConnectTo(endpoint_, io, stream); !ok.ok()) return ok.error();
  beast::error_code ec;
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, endpoint_.ToString());
  req.set(http::field::user_agent, "cairn-cli");
  ec = RunToCompletion(io, [&](auto done) { http::async_write(stream, req, done); });
  if (ec) return Unreachable(endpoint_, "while sending: " + ec.message());
  stream.expires_never();

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::read_header(stream, buffer, parser, ec);
  if (ec) return Unreachable(endpoint_, "while reading the answer: " + ec.message());
  unsigned status = parser.get().result_int();
  std::string error_body;
  char chunk[16384];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    http::read_some(stream, buffer, parser, ec);  // returns with what arrived: a live stream
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      if (ec == http::error::end_of_stream || ec == asio::error::eof) break;
      return MakeError(ErrorCode::kUnavailable, "stream ended: " + ec.message());
    }
    size_t n = sizeof(chunk) - parser.get().body().size;
    if (status >= 400) {
      error_body.append(chunk, n);
    } else if (n > 0 && !sink(std::string_view(chunk, n))) {
      break;
    }
  }
  if (status >= 400) return ErrorFromReply(status, error_body);
  return OkStatus();
}

}  // namespace cairn::api
