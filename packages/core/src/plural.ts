/** "1 port", "2 ports": a count with its noun, for plain-words messages. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
