// Tokenizer of the filter language. Splits the text into operators,
// identifiers (possibly dotted: `origin.site`), keywords and literals in
// Zeek notation, converting each literal to its value as it goes. Every
// token and every error carries its 1-based byte column.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "coop/model/result.h"
#include "filter/ast.h"

namespace coop::model::filter_impl {

enum class tok : unsigned char {
  end,
  lparen, rparen, lbrace, rbrace, lbracket, rbracket, comma, dotdot,
  and_, or_, not_,
  eq, ne, lt, le, gt, ge,
  in, not_in, match, not_match,
  starts_with, ends_with, contains,
  plus, minus,
  now,
  ident,    // field path, type name or enum label (text)
  literal,  // lit holds the value
};

struct token {
  tok kind = tok::end;
  std::size_t column = 1;
  std::string_view text;  ///< The token's characters, a view into the input.
  literal lit;            ///< For tok::literal (its column is set too).
};

/// A short description of a token for error messages: "'&&'",
/// "identifier 'foo'", "end of input".
std::string describe(const token& t);

/// Pull tokenizer over a text that must outlive it.
class lexer {
 public:
  explicit lexer(std::string_view text) : text_(text) {}

  /// The next token. Errors: invalid_argument with the column of a
  /// malformed literal or an unexpected character.
  result<token> next();

 private:
  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
  [[nodiscard]] char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  result<token> word(std::size_t start);
  result<token> number(std::size_t start);
  result<token> ipv6(std::size_t start);
  result<token> rfc3339(std::size_t start);
  // A subnet literal from `start` to a "/prefix" that starts at pos_.
  result<token> subnet_literal(std::size_t start);
  // Returns `t`, a literal just read, unless a letter, digit or '_' follows.
  result<token> end_literal(token t) const;
  result<token> string_literal(std::size_t start);
  result<token> regex_literal(std::size_t start);
  token make(tok k, std::size_t start) const;
  [[nodiscard]] bool spaced_unit() const;

  std::string_view text_;
  std::size_t pos_ = 0;
};

/// "column N: " + message, as an error of code `c`.
error error_at(errc c, std::size_t column, std::string message);

}  // namespace coop::model::filter_impl
