// Encryption at rest: age and GPG recipients, identities, and encryption and decryption as streams.
export { AGE_IDENTITY_ENV, type AgeIdentities, parseAgeIdentities, readAgeIdentityFile } from './age';
export { ENCRYPTED_EXTENSIONS, type EncryptionScheme, type Recipient, parseRecipient, parseRecipients, recipientText } from './recipients';
export { type CryptoTools, type DecryptKey, encryptToFile, withDecrypted } from './tools';
