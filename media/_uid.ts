// A new UID for a DICOMDIR's Media Storage SOP Instance UID.

/** A new UID under the 2.25 root (PS3.5 §B.2): a random UUID as a decimal integer. */
export function newUid(): string {
  return `2.25.${BigInt(`0x${crypto.randomUUID().replaceAll("-", "")}`)}`;
}
