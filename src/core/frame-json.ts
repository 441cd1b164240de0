/**
 * One JSON serialisation per frame: the registry needs a frame's size and the `/ws` envelope its
 * text, so the text is made once and kept beside the (plain JSON) frame object.
 */
const texts = new WeakMap<object, string>();

/** The frame's JSON text, serialised at most once per frame object. */
export function toFrameJson(frame: object): string {
  let text = texts.get(frame);
  if (text === undefined) {
    text = JSON.stringify(frame);
    texts.set(frame, text);
  }
  return text;
}
