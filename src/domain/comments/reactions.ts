import { ServiceError } from "../../errors.js";

/**
 * The emoji a comment can be answered with. CodeCommit "supports a limited set of reactions"
 * and lists them only in its console guide; AWS's API examples show :thumbsup: (U+1F44D),
 * :thumbsdown: (U+1F44E) and :confused: (U+1F615), keyed THUMBSUP and CONFUSED in
 * reactionCounts. Headwater serves those and five more of the same kind. `key` is what
 * reactionCounts and callerReactions carry, `shortCode` what GetCommentReactions reports.
 */
export interface Reaction {
  key: string;
  shortCode: string;
  emoji: string;
  unicode: string;
}

export const REACTIONS: readonly Reaction[] = [
  { key: "THUMBSUP", shortCode: "thumbsup", emoji: "\u{1F44D}", unicode: "U+1F44D" },
  { key: "THUMBSDOWN", shortCode: "thumbsdown", emoji: "\u{1F44E}", unicode: "U+1F44E" },
  { key: "SMILE", shortCode: "smile", emoji: "\u{1F604}", unicode: "U+1F604" },
  { key: "LAUGHING", shortCode: "laughing", emoji: "\u{1F606}", unicode: "U+1F606" },
  { key: "HEART", shortCode: "heart", emoji: "\u{2764}", unicode: "U+2764" },
  { key: "CLAP", shortCode: "clap", emoji: "\u{1F44F}", unicode: "U+1F44F" },
  { key: "TADA", shortCode: "tada", emoji: "\u{1F389}", unicode: "U+1F389" },
  { key: "CONFUSED", shortCode: "confused", emoji: "\u{1F615}", unicode: "U+1F615" },
];

const byKey = new Map(REACTIONS.map((r) => [r.key, r]));
/** every spelling a caller may send, lower-cased: :thumbsup:, thumbsup, THUMBSUP, 👍, U+1F44D */
const spellings = new Map<string, Reaction>();
for (const r of REACTIONS) {
  for (const s of [r.key, r.shortCode, `:${r.shortCode}:`, r.emoji, `${r.emoji}\u{FE0F}`, r.unicode]) spellings.set(s.toLowerCase(), r);
}

export function reactionByKey(key: string): Reaction | undefined {
  return byKey.get(key);
}


/**
 * PutCommentReaction's reactionValue: a reaction, or null to remove the caller's (sent as "",
 * null or "none", as CodeCommit documents). Absent is ReactionValueRequiredException.
 */
export function parseReactionValue(value: unknown): Reaction | null {
  if (value === undefined) {
    throw new ServiceError("ReactionValueRequiredException", "A reaction value is required: an emoji such as :thumbsup:, or \"none\" to remove your reaction.");
  }
  if (value === null || value === "") return null;
  if (typeof value !== "string") throw new ServiceError("InvalidReactionValueException", "The reaction value must be a string, such as :thumbsup:.");
  const text = value.trim().toLowerCase();
  if (text === "none" || text === "") return null;
  const found = spellings.get(text);
  if (!found) {
    throw new ServiceError(
      "InvalidReactionValueException",
      `The reaction '${value.slice(0, 64)}' is not one Headwater supports. Use one of ${REACTIONS.map((r) => `:${r.shortCode}:`).join(", ")} (or its emoji or U+ code point), or "none" to remove your reaction.`,
    );
  }
  return found;
}
