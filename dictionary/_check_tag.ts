/**
 * Throws a RangeError unless `tag` is a tag number: an integer from 0 to
 * 0xFFFFFFFF. This catches the classic slip of a signed `group << 16 | element`
 * for groups from 8000 up, which is negative without `>>> 0`.
 */
export function checkTag(tag: number, action: string): void {
  if ((tag >>> 0) !== tag) {
    throw new RangeError(
      `Cannot ${action} tag ${tag}: a tag is an integer from 0 to 0xFFFFFFFF, (group << 16 | element) >>> 0`,
    );
  }
}
