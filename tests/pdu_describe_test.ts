import { assertEquals } from "./_assert.ts";
import {
  ABORT_REASON,
  ABORT_SOURCE,
  describeAbort,
  describePresentationContextResult,
  describeReject,
  ITEM_TYPE,
  PDU_TYPE_CODES,
  PRESENTATION_CONTEXT_RESULT,
  REJECT_REASON,
  REJECT_RESULT,
  REJECT_SOURCE,
  USER_IDENTITY_TYPE,
} from "../pdu/mod.ts";

Deno.test("PDU_TYPE_CODES and ITEM_TYPE hold the codes of PS3.8 §9.3 and PS3.7 Annex D.3.3", () => {
  assertEquals(Object.values(PDU_TYPE_CODES), [1, 2, 3, 4, 5, 6, 7]);
  assertEquals(
    Object.values(ITEM_TYPE),
    [0x10, 0x20, 0x21, 0x30, 0x40, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59],
  );
  assertEquals(Object.values(USER_IDENTITY_TYPE), [1, 2, 3, 4, 5]);
});

Deno.test("describeReject() words every code of PS3.8 Table 9-21", () => {
  assertEquals(
    describeReject({ result: REJECT_RESULT.REJECTED_PERMANENT, source: 1, reason: 7 }),
    "rejected-permanent by the DICOM UL service-user: called-AE-title-not-recognized (result 1, source 1, reason 7)",
  );
  const reasons: [number, number, string][] = [
    [REJECT_SOURCE.SERVICE_USER, REJECT_REASON.SERVICE_USER.NO_REASON_GIVEN, "no-reason-given"],
    [
      1,
      REJECT_REASON.SERVICE_USER.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED,
      "application-context-name-not-supported",
    ],
    [
      1,
      REJECT_REASON.SERVICE_USER.CALLING_AE_TITLE_NOT_RECOGNIZED,
      "calling-AE-title-not-recognized",
    ],
    [1, 4, "reserved reason 4"],
    [
      REJECT_SOURCE.SERVICE_PROVIDER_ACSE,
      REJECT_REASON.SERVICE_PROVIDER_ACSE.NO_REASON_GIVEN,
      "no-reason-given",
    ],
    [
      2,
      REJECT_REASON.SERVICE_PROVIDER_ACSE.PROTOCOL_VERSION_NOT_SUPPORTED,
      "protocol-version-not-supported",
    ],
    [
      REJECT_SOURCE.SERVICE_PROVIDER_PRESENTATION,
      REJECT_REASON.SERVICE_PROVIDER_PRESENTATION.TEMPORARY_CONGESTION,
      "temporary-congestion",
    ],
    [3, REJECT_REASON.SERVICE_PROVIDER_PRESENTATION.LOCAL_LIMIT_EXCEEDED, "local-limit-exceeded"],
    [3, 0, "reserved reason 0"],
  ];
  for (const [source, reason, words] of reasons) {
    const text = describeReject({ result: REJECT_RESULT.REJECTED_TRANSIENT, source, reason });
    assertEquals(text.split(": ")[1], `${words} (result 2, source ${source}, reason ${reason})`);
  }
  assertEquals(
    describeReject({ result: 9, source: 9, reason: 9 }),
    "rejected with unknown result 9 by an unknown source 9: reserved reason 9 (result 9, source 9, reason 9)",
  );
});

Deno.test("describeAbort() words every code of PS3.8 Table 9-26", () => {
  const reasons: [number, string][] = [
    [ABORT_REASON.REASON_NOT_SPECIFIED, "reason-not-specified"],
    [ABORT_REASON.UNRECOGNIZED_PDU, "unrecognized-PDU"],
    [ABORT_REASON.UNEXPECTED_PDU, "unexpected-PDU"],
    [3, "reserved reason 3"],
    [ABORT_REASON.UNRECOGNIZED_PDU_PARAMETER, "unrecognized-PDU parameter"],
    [ABORT_REASON.UNEXPECTED_PDU_PARAMETER, "unexpected-PDU parameter"],
    [ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, "invalid-PDU-parameter value"],
  ];
  for (const [reason, words] of reasons) {
    assertEquals(
      describeAbort({ source: ABORT_SOURCE.SERVICE_PROVIDER, reason }),
      `aborted by the DICOM UL service-provider: ${words} (source 2, reason ${reason})`,
    );
  }
  // The reason is not significant unless the service provider aborted.
  assertEquals(
    describeAbort({ source: ABORT_SOURCE.SERVICE_USER, reason: 5 }),
    "aborted by the DICOM UL service-user (source 0, reason 5)",
  );
  assertEquals(
    describeAbort({ source: 1, reason: 0 }),
    "aborted by a reserved source (source 1, reason 0)",
  );
});

Deno.test("describePresentationContextResult() words every code of PS3.8 Table 9-18", () => {
  assertEquals(
    Object.values(PRESENTATION_CONTEXT_RESULT).map(describePresentationContextResult),
    [
      "acceptance",
      "user-rejection",
      "no-reason (provider rejection)",
      "abstract-syntax-not-supported (provider rejection)",
      "transfer-syntaxes-not-supported (provider rejection)",
    ],
  );
  assertEquals(describePresentationContextResult(5), "unknown result 5");
});
