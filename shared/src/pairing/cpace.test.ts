import { ristretto255 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { utf8 } from './bytes.js';
import {
  calculateGenerator,
  cpaceMessage,
  generatorString,
  intermediateSessionKey,
  parseCpaceMessage,
  sampleScalar,
  scalarFromLittleEndian,
  scalarMult,
  scalarMultVerify,
} from './cpace.js';

const hex = (text: string) =>
  Uint8Array.from(
    text
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((h) => Number.parseInt(h, 16)),
  );
const toHex = (bytes: Uint8Array) =>
  [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

// Test vectors from draft-irtf-cfrg-cpace, "Test vector for CPace using group ristretto255 and hash SHA-512".
const PRS = utf8('Password');
const CI = hex('0a41696e69746961746f720a42726573706f6e646572');
const SID = hex('7e4b4791d6a8ef019b936c79fb7f2c57');
const G = hex('9c5712178570957204d89ac11acbef789dd076992ba361429acb2bc38c71d14c');
const YA_SCALAR = hex('1433dd19359992d4e06d740d3993d429af6338ffb4531ce175d22449853a790b');
const YB_SCALAR = hex('0e6566d32d80a5a1135f99c27f2d637aa24da23027c3fa76b9d1cfd9742fdc00');
const YA = hex('a8fc42c4d57b3c7346661011122a00563d0995fd72b62123ae244400e86d7b1a');
const YB = hex('fc8e84ae4ab725909af05a56ef9714db6930e4a5589b3fee6cdd266236676d63');
const K = hex('3efef1706f42efa354020b087b37fbd9f81cf72a16f4947e4a042a7f1aaa2b6f');
const ISK_IR = hex(`0e33c5822bd495dea94ba7af161501f1b2d6a16d464b5d6e1a53dcbfb9244b9b
  a66c09c430fffdfe4fb4e99b4ea46f991a272de0431c132c2c79fd6de1a7e5e4`);

describe('CPace over ristretto255 with SHA-512', () => {
  it('builds the generator string and its hash as the draft does', () => {
    const expected =
      hex(`11435061636552697374726574746f3235350850617373776f726464${'00'.repeat(100)}
      160a41696e69746961746f720a42726573706f6e646572107e4b4791d6a8ef019b936c79fb7f2c57`);
    const string = generatorString(PRS, CI, SID);
    expect(toHex(string)).toBe(toHex(expected));
    expect(toHex(sha512(string))).toMatch(/^a5ce446f63a1ae6d1fee80fa67d0b400/);
  });

  it('derives public shares, the shared point and ISK as the draft vectors say', () => {
    const generator = ristretto255.Point.fromBytes(G);
    const ya = scalarFromLittleEndian(YA_SCALAR);
    const yb = scalarFromLittleEndian(YB_SCALAR);
    expect(toHex(scalarMult(ya, generator))).toBe(toHex(YA));
    expect(toHex(scalarMult(yb, generator))).toBe(toHex(YB));
    expect(toHex(scalarMultVerify(ya, YB)!)).toBe(toHex(K));
    expect(toHex(scalarMultVerify(yb, YA)!)).toBe(toHex(K));
    const msgA = cpaceMessage(YA, utf8('ADa'));
    const msgB = cpaceMessage(YB, utf8('ADb'));
    expect(toHex(msgA)).toBe(`20${toHex(YA)}03414461`);
    expect(toHex(intermediateSessionKey(SID, K, msgA, msgB))).toBe(toHex(ISK_IR));
  });

  it('refuses the identity and invalid encodings', () => {
    const scalar = hex('7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05');
    const s = scalarFromLittleEndian(scalar);
    expect(
      toHex(
        scalarMultVerify(
          s,
          hex('021ca069484e890c9e494d8ed6bb0f66cbd9a8f0ef67168f36c51e0efeb8f347'),
        )!,
      ),
    ).toBe('62aaa018755dc881902097c2a993c0b7c0a4fe33bce2c0182b46a44c40b95119');
    expect(
      scalarMultVerify(s, hex('011ca069484e890c9e494d8ed6bb0f66cbd9a8f0ef67168f36c51e0efeb8f347')),
    ).toBeUndefined();
    expect(scalarMultVerify(s, new Uint8Array(32))).toBeUndefined();
  });

  it('parses only well-formed messages', () => {
    const message = cpaceMessage(YA, utf8('ADa'));
    expect(toHex(parseCpaceMessage(message)!.share)).toBe(toHex(YA));
    expect(parseCpaceMessage(message.subarray(0, message.length - 1))).toBeUndefined();
    expect(parseCpaceMessage(Uint8Array.from([...message, 0]))).toBeUndefined();
    expect(parseCpaceMessage(Uint8Array.from([0x80]))).toBeUndefined();
  });

  it('agrees on a key only when both sides use the same code', () => {
    const run = (codeA: string, codeB: string) => {
      const gA = calculateGenerator(utf8(codeA), CI, SID);
      const gB = calculateGenerator(utf8(codeB), CI, SID);
      const ya = sampleScalar();
      const yb = sampleScalar();
      const msgA = cpaceMessage(scalarMult(ya, gA), utf8('a'));
      const msgB = cpaceMessage(scalarMult(yb, gB), utf8('b'));
      const kA = scalarMultVerify(ya, parseCpaceMessage(msgB)!.share)!;
      const kB = scalarMultVerify(yb, parseCpaceMessage(msgA)!.share)!;
      return [
        intermediateSessionKey(SID, kA, msgA, msgB),
        intermediateSessionKey(SID, kB, msgA, msgB),
      ];
    };
    const [a, b] = run('123456', '123456');
    expect(toHex(a!)).toBe(toHex(b!));
    const [c, d] = run('123456', '123457');
    expect(toHex(c!)).not.toBe(toHex(d!));
  });
});
