/**
 * Sample files for the storage benchmarks.
 *
 * @module
 */
import { generateSampleStudies } from "../archive/mod.ts";
import { encodePart10 } from "../dataset/mod.ts";

/** Writes `n` generated CT images of `size`x`size` pixels into `dir`; their paths and total bytes. */
export async function makeFiles(
  dir: string,
  n: number,
  size: number,
): Promise<{ files: string[]; bytes: number }> {
  const files: string[] = [];
  let bytes = 0;
  const perSeries = 50;
  for (
    const ds of generateSampleStudies({
      patients: Math.ceil(n / (perSeries * 2)),
      studiesPerPatient: 1,
      seriesPerStudy: 2,
      instancesPerSeries: perSeries,
      imageSize: size,
    })
  ) {
    if (files.length >= n) break;
    const path = `${dir}/${files.length}.dcm`;
    const b = encodePart10(ds);
    bytes += b.length;
    await Deno.writeFile(path, b);
    files.push(path);
  }
  return { files, bytes };
}
