import fontoxpath from 'fontoxpath';
import { type Document, parseXmlDocument } from 'slimdom';
import type { JsonValue } from '../receipts/canonical-json.js';

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** An XML element name: a value's key that is not one is left out of the document. */
const NAME = /^[A-Za-z_][\w.-]*$/;

/** `<root><key>value</key>…</root>` of a case's variables or a task's output, for XPath and XQuery. */
export function dataDocument(root: string, values: Iterable<readonly [string, string]>): Document {
  let xml = '';
  for (const [key, value] of values) if (NAME.test(key)) xml += `<${key}>${escape(value)}</${key}>`;
  const name = NAME.test(root) ? root : 'data';
  return parseXmlDocument(`<${name}>${xml}</${name}>`);
}

/** A completion's data as variables: an object's own keys, each value as text (JSON for objects). */
export function valuesOf(data: JsonValue): [string, string][] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
  return Object.entries(data).map(([key, value]) => [
    key,
    typeof value === 'string' ? value : JSON.stringify(value),
  ]);
}

/** A YAWL predicate (XPath 3.1) over a data document. */
export function predicateHolds(xpath: string, document: Document): boolean {
  return fontoxpath.evaluateXPathToBoolean(xpath, document);
}

/** A YAWL mapping (XQuery 3.1, usually `<v>{/Task/v/text()}</v>`): its string value. */
export function mappedValue(query: string, document: Document): string {
  return fontoxpath.evaluateXPathToString(query, document, null, null, {
    language: fontoxpath.evaluateXPath.XQUERY_3_1_LANGUAGE,
  });
}
