import InterlockJSON
import InterlockProfile

/// What the rules say about one request.
package struct RuleDecision {
    package var action: HTTPRuleEntry.Action
    /// The deciding rule (nil: no rule matched, allowed by default).
    package var rule: HTTPRuleEntry?
    /// What was matched, in words: `mutation volumeDelete`, `DELETE /v1/volumes/7`.
    package var what: String
    /// Why a request was refused without a rule saying so (body unreadable, too large).
    package var problem: String?
}
