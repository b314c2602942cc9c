// aws4fetch's SigV4 signing checked against AWS's published examples: the generic signature
// test suite (AKIDEXAMPLE, 20150830T123600Z, service "service") and the S3 GET-object example
// from the S3 API reference. s3rver does not verify signatures, so these vectors are the check.
import assert from "node:assert/strict";
import { AwsV4Signer } from "aws4fetch";

const SUITE = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  service: "service",
  region: "us-east-1",
  datetime: "20150830T123600Z",
};

function signatureOf(authorization: string): string {
  return /Signature=([0-9a-f]{64})$/.exec(authorization)?.[1] ?? "";
}

Deno.test("signs the test suite's get-vanilla request with the published signature", async () => {
  const signer = new AwsV4Signer({
    ...SUITE,
    method: "GET",
    url: "https://example.amazonaws.com/",
  });
  const auth = await signer.authHeader();
  assert.equal(
    auth,
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " +
      "SignedHeaders=host;x-amz-date, " +
      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  );
});

Deno.test("signs get-vanilla-query-order-key-case with its query sorted by name", async () => {
  const signer = new AwsV4Signer({
    ...SUITE,
    method: "GET",
    url: "https://example.amazonaws.com/?Param2=value2&Param1=value1",
  });
  const canonical = await signer.canonicalString();
  assert.equal(canonical.split("\n")[2], "Param1=value1&Param2=value2");
  const hash = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical))),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(hash, "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
  assert.equal(
    signatureOf(await signer.authHeader()),
    "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
  );
});

Deno.test("signs the S3 reference GET-object example with a range header", async () => {
  // aws4fetch leaves `range` unsigned by default; the reference example signs it.
  const signer = new AwsV4Signer({
    allHeaders: true,
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    service: "s3",
    region: "us-east-1",
    datetime: "20130524T000000Z",
    method: "GET",
    url: "https://examplebucket.s3.amazonaws.com/test.txt",
    headers: {
      range: "bytes=0-9",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
  });
  const auth = await signer.authHeader();
  assert.match(auth, /SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, /);
  assert.equal(
    signatureOf(auth),
    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
  );
});

Deno.test("a different secret gives a different signature for the same request", async () => {
  const sign = (secretAccessKey: string) =>
    new AwsV4Signer({
      ...SUITE,
      secretAccessKey,
      method: "GET",
      url: "https://example.amazonaws.com/",
    })
      .authHeader();
  assert.notEqual(
    signatureOf(await sign("other-secret")),
    signatureOf(await sign(SUITE.secretAccessKey)),
  );
});
