/**
 * The keyword that PS3.6 §6 usually derives from a data element name: drop
 * "'s", split at anything but letters and digits, capitalize each word's first
 * letter and join ("Patient's Birth Date" gives "PatientBirthDate"). About 98%
 * of keywords follow it; the generated table stores only the others, and the
 * generator checks every derived keyword against the standard's.
 */
export function keywordFromName(name: string): string {
  let keyword = "";
  for (const word of name.replaceAll("'s", "").split(/[^A-Za-z0-9]+/)) {
    keyword += word.charAt(0).toUpperCase() + word.slice(1);
  }
  return keyword;
}
