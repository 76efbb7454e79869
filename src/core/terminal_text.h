// Text that came from a user or a server, made safe to show on a terminal. A control byte in a
// field name or a message (ESC, CR, BS) is a terminal instruction when printed raw: it can
// recolour, rewrite or hide the lines around it. And a 100 KiB value echoed into an error
// message buries the message. Every place that prints such text goes through one of these.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cairn {

// Characters of a value QuoteForTerminal shows before it cuts: enough to recognise a value,
// short enough that the sentence around it stays on a screen.
inline constexpr size_t kQuotedValueChars = 80;

// `text` with every character a terminal would act on written as an escape: \e (ESC), \r, \b,
// \t, \n (unless `keep_newlines`), other C0 bytes and DEL as \xNN, C1 controls and the
// bidirectional overrides and isolates (which reorder what a reader sees) as \uNNNN, and each
// byte that is not UTF-8 as \xNN. Everything else, backslashes included, is kept as it is, so
// text with nothing to escape comes back unchanged and escaping twice changes nothing.
std::string EscapeForTerminal(std::string_view text, bool keep_newlines = false);

// `text` as a double-quoted value for a message: escaped as above, with `"` and `\` written
// \" and \\ so the quotes are unambiguous, and cut after `max_chars` characters, the cut shown
// with its full size: "aaaa…" (131072 bytes).
std::string QuoteForTerminal(std::string_view text, size_t max_chars = kQuotedValueChars);

}  // namespace cairn
