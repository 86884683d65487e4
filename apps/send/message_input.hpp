// The message of `mailoauth send`, before any account or network: built
// from the options with GMime, or taken ready-made (`--raw FILE|-`); and the
// bounded reading every input goes through, so a message larger than the
// maximum is refused after reading at most that many bytes, never held
// whole in memory first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/mime/message.hpp"
#include "mailoauth/oauth2/account.hpp"

#include "send_command.hpp"

namespace mailoauth::send {

inline constexpr std::size_t kDefaultMaxMessageSize = std::size_t{150} << 20;
inline constexpr std::string_view kTooLarge = "send.too_large";

// $MAILOAUTH_MAX_MESSAGE_SIZE (bytes, or with K, M, G: 35M), else 150 MB.
core::Result<std::size_t> max_message_size();

// A file, or stdin for "-", of at most `max` bytes: larger is the Permanent
// error kTooLarge, after reading max + 1 bytes. `what` names it in messages.
core::Result<std::string> read_bounded(const std::string& path, std::size_t max,
                                       std::string_view what);

// The message `send` would send; `account` may be null (password mode).
core::Result<mime::Message> send_message_input(const SendOptions& options,
                                               const oauth2::Account* account);

// --dry-run: the envelope, then the message as it would be sent.
void print_dry_run(const mime::Message& message);

}  // namespace mailoauth::send
