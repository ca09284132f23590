/**
 * `dcm echo HOST PORT`: C-ECHO a peer (the Verification service, PS3.4
 * Annex A), like DCMTK's echoscu.
 *
 * @module
 */
import { echo as echoScu } from "../scu/mod.ts";
import { defineCommand } from "./_args.ts";
import { clientOptions, explained, hostPort, NETWORK_OPTIONS, PEER_OPTIONS } from "./_common.ts";

/** `dcm echo`. */
export const echo = defineCommand({
  name: "echo",
  synopsis: "HOST PORT",
  summary: "Send a C-ECHO to a peer and print how long the answer took.",
  positionals: [2, 2],
  options: { ...PEER_OPTIONS, ...NETWORK_OPTIONS },
}, async (values, positionals) => {
  const { host, port } = hostPort(positionals);
  const result = await explained(host, port, () =>
    echoScu(host, port, {
      ...clientOptions(values),
    }));
  if (values.json) {
    console.log(
      JSON.stringify({ host, port, status: result.status, milliseconds: result.milliseconds }),
    );
  } else {
    console.log(
      `C-ECHO ${values.call}@${host}:${port}: success in ${result.milliseconds.toFixed(1)} ms`,
    );
  }
  return 0;
});
