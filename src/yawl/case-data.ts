import fontoxpath from 'fontoxpath';
import {
  type Document,
  type Element,
  type Node,
  parseXmlDocument,
  serializeToWellFormedString,
} from 'slimdom';
import type { JsonValue } from '../receipts/canonical-json.js';

/**
 * Case data is kept as YAWL keeps it: each variable's value is XML *content* — escaped text for a
 * simple value (`5`, `a &amp; b`), elements for a complex one (`<item>a</item><item>b</item>`).
 */
export type Content = string;

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unescape = (content: string): string =>
  content
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-fA-F]+);/g, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&amp;/g, '&');
/** An XML element name: a value's key that is not one is left out of the document. */
const NAME = /^[A-Za-z_][\w.-]*$/;
const XQUERY = { language: fontoxpath.evaluateXPath.XQUERY_3_1_LANGUAGE };

/** `<root><key>content</key>…</root>` of a case's variables or a task's output, for XPath and XQuery. */
export function dataDocument(root: string, values: Iterable<readonly [string, Content]>): Document {
  let xml = '';
  for (const [key, content] of values) if (NAME.test(key)) xml += `<${key}>${content}</${key}>`;
  return contentDocument(root, xml);
}

/** `<root>content</root>` (`<data>` when `root` is not an XML name). */
export function contentDocument(root: string, content: Content): Document {
  const name = NAME.test(root) ? root : 'data';
  return parseXmlDocument(`<${name}>${content}</${name}>`);
}

/**
 * A variable's initial value as YAWL's `initialValue` holds it: XML content when it is well formed
 * (`<item>a</item>`, `5`), else the text itself (`a < b`).
 */
export function contentOf(initial: string): Content {
  if (!initial.includes('<') && !initial.includes('&')) return initial;
  try {
    parseXmlDocument(`<v>${initial}</v>`);
    return initial;
  } catch {
    return escape(initial);
  }
}

/** What `caseData` shows of a variable: its text when it is simple, its XML content when not. */
export function shownValue(content: Content): string {
  return content.includes('<') ? content : unescape(content);
}

/**
 * A JSON value as XML content: text for a scalar, an element per key for an object (an array under a
 * key repeats that element: `{ item: [1, 2] }` → `<item>1</item><item>2</item>`), `<item>` elements
 * for an array at the top.
 */
export function jsonToContent(value: JsonValue): Content {
  if (value === null) return '';
  if (typeof value !== 'object') return escape(String(value));
  if (Array.isArray(value)) return value.map((item) => `<item>${jsonToContent(item)}</item>`).join('');
  let xml = '';
  for (const [key, item] of Object.entries(value)) {
    if (!NAME.test(key) || item === undefined) continue;
    for (const one of Array.isArray(item) ? item : [item]) xml += `<${key}>${jsonToContent(one)}</${key}>`;
  }
  return xml;
}

/**
 * An element as JSON, the inverse of {@link jsonToContent}: its text when it has no child elements,
 * else an object of its children by name (a repeated name → an array).
 */
export function elementToJson(element: Element): JsonValue {
  const children = element.children;
  if (children.length === 0) return element.textContent ?? '';
  const object: Record<string, JsonValue> = {};
  for (const child of children) {
    const value = elementToJson(child);
    const key = child.localName;
    const previous = object[key];
    if (previous === undefined) object[key] = value;
    // An element's value is text or an object, never an array: an array here is a repeated name's.
    else if (Array.isArray(previous)) previous.push(value);
    else object[key] = [previous, value];
  }
  return object;
}

/** A completion's data as variables: an object's own keys, each value as XML content. */
export function valuesOf(data: JsonValue): [string, Content][] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
  return Object.entries(data).map(([key, value]) => [key, jsonToContent(value)]);
}

/** A YAWL predicate (XPath 3.1) over a data document. */
export function predicateHolds(xpath: string, document: Document): boolean {
  return fontoxpath.evaluateXPathToBoolean(xpath, document);
}

/** A YAWL mapping (XQuery 3.1, usually `<v>{/Task/v/text()}</v>`): its string value. */
export function mappedValue(query: string, document: Document): string {
  return fontoxpath.evaluateXPathToString(query, document, null, null, XQUERY);
}

/**
 * A YAWL mapping's result as a variable's content: an element's content (YAWL replaces the variable
 * with the element the query builds), or the escaped string value of anything else.
 */
export function mappedContent(query: string, document: Document): Content {
  const first = queryResults(query, document)[0];
  if (isElement(first)) return innerXml(first);
  return first === undefined ? '' : escape(String(isNode(first) ? first.textContent : first));
}

/** The elements a YAWL query (XQuery) gives over `document`, in order. */
export function queryElements(query: string, document: Document): Element[] {
  return queryResults(query, document).filter(isElement);
}

/** A document whose root is (a copy of) `element`, for a query that reads it from `/`. */
export function documentOf(element: Element): Document {
  return parseXmlDocument(serializeToWellFormedString(element));
}

/** `<root>` around the elements, serialised: YAWL's grouped output of an MI task's instances. */
export function groupedDocument(root: string, elements: readonly Element[]): Document {
  return contentDocument(root, elements.map((e) => serializeToWellFormedString(e)).join(''));
}

function innerXml(element: Element): Content {
  return element.childNodes.map((node) => serializeToWellFormedString(node)).join('');
}

function queryResults(query: string, document: Document): unknown[] {
  return fontoxpath.evaluateXPath(
    query,
    document,
    null,
    null,
    fontoxpath.evaluateXPath.ALL_RESULTS_TYPE,
    XQUERY,
  ) as unknown[];
}

const isNode = (value: unknown): value is Node =>
  typeof (value as { nodeType?: unknown } | null)?.nodeType === 'number';
const isElement = (value: unknown): value is Element => isNode(value) && value.nodeType === 1;
