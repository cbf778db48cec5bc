import type { RecordedStep } from './recording.ts';

/**
 * Whether a step the replay produced is, field by field, the very step it
 * read from the recording: the same keys in the same order, each the same
 * value (`===`; objects by identity). Then its line is the recorded line,
 * without writing it out again: the recorded line is what `JSON.stringify`
 * made of that same value when it was recorded.
 *
 * That is the case of every input the replay feeds that holds no secret (a
 * request, a store result, a reply sent): the placeholders hand the recorded
 * payload back as it is, both ways, so it comes back as the same object. It is
 * half the steps of a busy recording. Anything else (an output the host made,
 * an input with a secret in it) is compared by its line.
 */
export function isSameStep(produced: RecordedStep, recorded: RecordedStep): boolean {
  const producedFields = produced as unknown as Readonly<Record<string, unknown>>;
  const recordedFields = recorded as unknown as Readonly<Record<string, unknown>>;
  const keys = Object.keys(producedFields);
  const recordedKeys = Object.keys(recordedFields);
  if (keys.length !== recordedKeys.length) return false;
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string;
    if (key !== recordedKeys[index] || producedFields[key] !== recordedFields[key]) return false;
  }
  return true;
}
