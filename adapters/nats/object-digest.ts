/**
 * The hex SHA-256 of an object store digest: `SHA-256=` and the digest in
 * base64url with `=` padding (Node's base64url decoder takes it padded or not).
 * An unknown digest type gives `''`, which equals no SHA-256.
 *
 * @example
 * hexOfObjectDigest('SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU='); // 'e3b0c442…b855'
 */
export function hexOfObjectDigest(digest: string): string {
  const prefix = 'SHA-256=';
  if (!digest.startsWith(prefix)) return '';
  return Buffer.from(digest.slice(prefix.length), 'base64url').toString('hex');
}
