// What the IMAP client's commands take and give back, as plain structs (no
// Asio), shared by the coroutine Client and the SyncClient: search results as
// counts (ESEARCH MIN/MAX/COUNT) and optionally UID ranges, the items a
// UID FETCH asks for and one fetched message, APPEND's options and answer,
// and the ID command's fields.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/imap/envelope.hpp"
#include "mailoauth/imap/mailbox_data.hpp"

namespace mailoauth::imap {

// STATUS items the client asks for: MESSAGES UNSEEN UIDNEXT UIDVALIDITY.
// (MailboxStatus comes from mailbox_data.hpp.)

struct SearchResult {
  std::uint64_t count = 0;
  std::optional<std::uint64_t> min_uid;  // lowest matching UID
  std::optional<std::uint64_t> max_uid;  // highest matching UID
  std::vector<NumberRange> uids;         // only when asked for (want_uids)
};

struct FetchRequest {
  bool envelope = true;
  bool internal_date = true;
  bool size = true;  // RFC822.SIZE
  bool flags = true;
  std::vector<std::string> header_fields;  // BODY.PEEK[HEADER.FIELDS (...)]; empty: none
};

struct FetchedMessage {
  std::uint64_t sequence_number = 0;
  std::uint64_t uid = 0;
  std::optional<std::vector<std::string>> flags;
  std::optional<std::string> internal_date;          // as sent: "17-Jul-1996 02:44:25 -0700"
  std::optional<core::Clock::WallTime> received_at;  // internal_date parsed
  std::optional<std::uint64_t> size;
  std::optional<Envelope> envelope;
  std::optional<std::string> header_fields;  // the raw header lines asked for, CRLF-separated
};

// Called once per message as its FETCH response arrives; memory stays one
// message's worth whatever the set's size. An error returned stops delivery
// (the rest of the command's answer is read and dropped) and is returned.
using FetchCallback = std::function<core::Result<void>(FetchedMessage message)>;

struct AppendOptions {
  std::vector<std::string> flags;                      // "\\Seen", "$Junk"
  std::optional<core::Clock::WallTime> internal_date;  // the message's INTERNALDATE
};

struct AppendResult {  // from [APPENDUID v u] when the server has UIDPLUS
  std::optional<std::uint64_t> uidvalidity;
  std::optional<std::uint64_t> uid;
};

using IdFields = std::vector<std::pair<std::string, std::string>>;

}  // namespace mailoauth::imap
