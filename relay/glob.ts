/**
 * Shell-style glob match (`*` any run, `?` one character), whole string.
 * Repository names and host names compare case-insensitively.
 */
export function globMatches(
  pattern: string,
  value: string,
  ignoreCase = false,
): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}
