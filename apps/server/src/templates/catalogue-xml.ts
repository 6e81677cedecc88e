import {
  ATTRIBUTE_TYPES,
  type AttributeType,
  attributeType,
  type ChoiceOption,
  describePrefills,
  parseDecimal,
  prefillFits,
  type TypeSetting,
  typesTaking,
} from '@toa/api/attribute-types';
import { isMissing, validateAttribute } from '@toa/api/attributes';
import {
  type Attribute,
  attributeSchema,
  type Catalogue,
  catalogueSchema,
  PREFILL_SOURCES,
  type Prefill,
  type Template,
  templateSchema,
} from '@toa/api/templates';
import { compilePattern } from '@toa/api/text';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** Catalogues are a few kilobytes; anything this big is a mistake or an attack. */
export const DEFAULT_CATALOGUE_MAX_BYTES = 5 * 1024 * 1024;

/** The only `<catalogue version>` this server understands. */
export const CATALOGUE_VERSION = '1';

/** How many problems a `CatalogueError` message spells out; `problems` keeps them all. */
const PROBLEMS_IN_MESSAGE = 10;

/** A catalogue that is refused, with every problem found and where it is. */
export class CatalogueError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const shown = problems.slice(0, PROBLEMS_IN_MESSAGE).join('; ');
    const more = problems.length > PROBLEMS_IN_MESSAGE ? `; and ${problems.length - PROBLEMS_IN_MESSAGE} more` : '';
    super(problems.length === 1 ? `invalid catalogue: ${shown}` : `invalid catalogue (${problems.length} problems): ${shown}${more}`);
    this.name = 'CatalogueError';
    this.problems = problems;
  }
}

export interface ParseCatalogueOptions {
  /** refuse anything larger (default 5 MB) */
  maxBytes?: number;
}

/** Elements that may repeat, so the parser always gives them as arrays. */
const REPEATED_ELEMENTS = new Set(['template', 'attribute', 'option']);
const ATTRIBUTE_GROUP = '@';
const TEXT = '#text';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributesGroupName: ATTRIBUTE_GROUP,
  attributeNamePrefix: '',
  textNodeName: TEXT,
  parseTagValue: false,
  parseAttributeValue: false,
  // Patterns and labels are taken exactly as written.
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // catalogue > template > attribute > option; a deeper document is not a catalogue.
  maxNestedTags: 8,
  // No DTD ever reaches the parser (see refuseDeclarations), so only the five XML
  // entities and character references remain; the latter are decoded only with
  // htmlEntities on.
  processEntities: true,
  htmlEntities: true,
  isArray: (name, _path, _isLeaf, isAttribute) => !isAttribute && REPEATED_ELEMENTS.has(name),
});

/**
 * Parses and validates a template catalogue (SPEC §13.2). Refuses, with a
 * `CatalogueError`, anything too large, not UTF-8, with a DOCTYPE or ENTITY
 * declaration (entity bombs, external entities), not well-formed, or breaking
 * a rule of the format; the error lists every problem with its template and
 * attribute id.
 */
export function parseCatalogueXml(xml: string | Buffer, options: ParseCatalogueOptions = {}): Catalogue {
  const text = decodeBounded(xml, options.maxBytes ?? DEFAULT_CATALOGUE_MAX_BYTES);
  refuseDeclarations(text);
  const wellFormed = XMLValidator.validate(text);
  if (wellFormed !== true) {
    const { msg, line, col } = wellFormed.err;
    // Some errors (an empty document) have no column.
    const at = col === undefined ? ` at line ${line}` : ` at line ${line}, column ${col}`;
    throw new CatalogueError([`not well-formed XML${at}: ${msg}`]);
  }
  let document: unknown;
  try {
    document = parser.parse(text);
  } catch (error) {
    throw new CatalogueError([`not well-formed XML: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const problems: string[] = [];
  const catalogue = readCatalogue(document, problems);
  if (problems.length > 0) throw new CatalogueError(problems);
  const checked = catalogueSchema.safeParse(catalogue);
  if (!checked.success) {
    // A safety net: the rules above should have caught everything the schema knows.
    throw new CatalogueError(checked.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return checked.data;
}

function decodeBounded(xml: string | Buffer, maxBytes: number): string {
  const size = typeof xml === 'string' ? Buffer.byteLength(xml, 'utf8') : xml.length;
  if (size > maxBytes) throw new CatalogueError([`larger than the limit of ${maxBytes} bytes`]);
  let text: string;
  try {
    // A UTF-8 byte order mark is dropped; anything that is not UTF-8 is refused.
    text = typeof xml === 'string' ? xml : new TextDecoder('utf-8', { fatal: true }).decode(xml);
  } catch {
    throw new CatalogueError(['not valid UTF-8 (a catalogue must be encoded in UTF-8)']);
  }
  const declared = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']/.exec(text)?.[1];
  if (declared !== undefined && declared.toLowerCase() !== 'utf-8') {
    throw new CatalogueError([`declares encoding "${declared}"; a catalogue must be encoded in UTF-8`]);
  }
  // UTF-16 text read as UTF-8 is full of NULs; it would slip past the checks below.
  if (text.includes('\u0000')) throw new CatalogueError(['contains NUL characters (is it UTF-16?)']);
  return text;
}

/**
 * A catalogue never needs a DTD. Refusing one outright, before any parser
 * sees it, rules out entity expansion bombs and external entities whatever
 * the parser's own defences.
 */
function refuseDeclarations(text: string): void {
  const found = /<!\s*(DOCTYPE|ENTITY)/i.exec(text);
  if (found) {
    throw new CatalogueError([`contains a <!${found[1]?.toUpperCase()} declaration, which catalogues may not have`]);
  }
}

/** One parsed element: its XML attributes, its child elements by name, its text. */
interface XmlElement {
  attributes: Record<string, string>;
  children: Record<string, unknown>;
  text: string;
}

function asElement(node: unknown): XmlElement {
  // The parser gives an element with neither attributes nor children as its text alone.
  if (typeof node !== 'object' || node === null) return { attributes: {}, children: {}, text: String(node ?? '') };
  const { [ATTRIBUTE_GROUP]: attributes = {}, [TEXT]: text = '', ...children } = node as Record<string, unknown>;
  return { attributes: attributes as Record<string, string>, children, text: String(text) };
}

function elements(parent: XmlElement, name: string): XmlElement[] {
  const nodes = parent.children[name];
  return Array.isArray(nodes) ? nodes.map(asElement) : [];
}

/** Reports XML attributes, child elements and text that the format does not have: mostly typos. */
function checkShape(
  element: XmlElement,
  allowed: { attributes: readonly string[]; children: readonly string[]; text?: boolean },
  where: string,
  problems: string[],
): void {
  for (const name of Object.keys(element.attributes)) {
    if (!allowed.attributes.includes(name)) problems.push(`${where}: unknown XML attribute "${name}"`);
  }
  for (const name of Object.keys(element.children)) {
    if (!allowed.children.includes(name)) problems.push(`${where}: unexpected element <${name}>`);
  }
  if (!allowed.text && element.text.trim() !== '') problems.push(`${where}: unexpected text "${clip(element.text.trim())}"`);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function readCatalogue(document: unknown, problems: string[]): Catalogue {
  const roots = Object.keys(asElement(document).children);
  const root = (document as Record<string, unknown> | undefined)?.catalogue;
  if (roots.length !== 1 || root === undefined || Array.isArray(root)) {
    throw new CatalogueError([`the document must have one root element <catalogue> (found ${roots.map((r) => `<${r}>`).join(', ') || 'none'})`]);
  }
  const catalogue = asElement(root);
  checkShape(catalogue, { attributes: ['version'], children: ['template'] }, '<catalogue>', problems);
  const version = catalogue.attributes.version;
  if (version !== CATALOGUE_VERSION) {
    problems.push(
      version === undefined
        ? `<catalogue>: the version attribute is missing (use version="${CATALOGUE_VERSION}")`
        : `<catalogue>: version "${version}" is not supported (only "${CATALOGUE_VERSION}")`,
    );
  }
  const templateElements = elements(catalogue, 'template');
  if (templateElements.length === 0) problems.push('<catalogue>: it has no <template>');
  const ids = new Set<string>();
  const templates = templateElements.map((element, index) => {
    const template = readTemplate(element, index, problems);
    if (ids.has(template.id)) problems.push(`template "${template.id}": the id is used by an earlier template`);
    ids.add(template.id);
    return template;
  });
  return { version: version ?? '', templates };
}

function readTemplate(element: XmlElement, index: number, problems: string[]): Template {
  const id = element.attributes.id ?? '';
  const where = id ? `template "${id}"` : `template #${index + 1}`;
  checkShape(element, { attributes: ['id', 'name'], children: ['attribute'] }, where, problems);
  if (!id) problems.push(`${where}: the id attribute is missing`);
  else if (!templateSchema.shape.id.safeParse(id).success) {
    problems.push(`${where}: the id must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit`);
  }
  const name = element.attributes.name?.trim() ?? '';
  if (!name) problems.push(`${where}: the name attribute is missing or empty`);
  const ids = new Set<string>();
  const attributes = elements(element, 'attribute').map((child, childIndex) => {
    const attribute = readAttribute(child, `${where}, attribute ${attributeLabel(child, childIndex)}`, problems);
    if (ids.has(attribute.id)) problems.push(`${where}, attribute "${attribute.id}": the id is used by an earlier attribute`);
    ids.add(attribute.id);
    return attribute;
  });
  return { id, name, attributes };
}

function attributeLabel(element: XmlElement, index: number): string {
  const id = element.attributes.id;
  return id ? `"${id}"` : `#${index + 1}`;
}

const ATTRIBUTE_XML_ATTRIBUTES = ['id', 'label', 'type', 'required', 'pattern', 'min', 'max', 'maxLength', 'default', 'prefill', 'serverGenerated'] as const;

/** The type-specific settings written as XML attributes (`options` are child elements). */
const XML_SETTINGS = ['pattern', 'maxLength', 'min', 'max'] as const satisfies readonly TypeSetting[];

function readAttribute(element: XmlElement, where: string, problems: string[]): Attribute {
  const raw = element.attributes;
  const report = (problem: string) => problems.push(`${where}: ${problem}`);
  checkShape(element, { attributes: ATTRIBUTE_XML_ATTRIBUTES, children: ['option'] }, where, problems);

  const id = raw.id ?? '';
  if (!id) report('the id attribute is missing');
  else if (!attributeSchema.shape.id.safeParse(id).success) {
    report('the id must be 1-64 letters, digits, "_", "." or "-", starting with a letter');
  }
  const label = raw.label?.trim() ?? '';
  if (!label) report('the label attribute is missing or empty');

  const type = raw.type as AttributeType | undefined;
  if (type === undefined) report(`the type attribute is missing (one of ${ATTRIBUTE_TYPES.join(', ')})`);
  else if (!ATTRIBUTE_TYPES.includes(type)) report(`type "${type}" is not one of ${ATTRIBUTE_TYPES.join(', ')}`);
  const knownType = type !== undefined && ATTRIBUTE_TYPES.includes(type) ? type : undefined;

  const attribute: Attribute = {
    id,
    label,
    type: knownType ?? 'text',
    required: readBoolean(raw, 'required', report),
    serverGenerated: readBoolean(raw, 'serverGenerated', report),
  };
  if (knownType === undefined) return attribute;

  // Each type takes its own settings (attribute-types.ts); any other type-specific setting is a mistake.
  const takes = (setting: TypeSetting) => attributeType(knownType).settings.includes(setting);
  for (const setting of XML_SETTINGS) {
    if (raw[setting] !== undefined && !takes(setting)) report(`${setting} applies to ${typesTaking(setting)} attributes only`);
  }
  if (takes('pattern')) readPattern(raw, attribute, report);
  if (takes('maxLength')) readMaxLength(raw, attribute, report);
  if (takes('min') || takes('max')) readRange(raw, attribute, report);
  const options = elements(element, 'option');
  if (takes('options')) attribute.options = readOptions(options, where, problems);
  else if (options.length > 0) report(`<option> applies to ${typesTaking('options')} attributes only`);
  readPrefill(raw, attribute, report);
  readDefault(raw, attribute, report);
  return attribute;
}

function readBoolean(raw: Record<string, string>, name: string, report: (problem: string) => void): boolean {
  const value = raw[name];
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  report(`${name} must be "true" or "false", not "${value}"`);
  return false;
}

function readPattern(raw: Record<string, string>, attribute: Attribute, report: (problem: string) => void): void {
  if (raw.pattern === undefined) return;
  try {
    compilePattern(raw.pattern);
    attribute.pattern = raw.pattern;
  } catch (error) {
    report(`pattern "${raw.pattern}" is not a valid regular expression (${(error as Error).message})`);
  }
}

function readMaxLength(raw: Record<string, string>, attribute: Attribute, report: (problem: string) => void): void {
  if (raw.maxLength === undefined) return;
  if (/^[1-9]\d{0,8}$/.test(raw.maxLength)) attribute.maxLength = Number(raw.maxLength);
  else report(`maxLength must be a positive whole number, not "${raw.maxLength}"`);
}

function readRange(raw: Record<string, string>, attribute: Attribute, report: (problem: string) => void): void {
  for (const bound of ['min', 'max'] as const) {
    const written = raw[bound];
    if (written === undefined) continue;
    const value = parseDecimal(written);
    if (value === undefined) report(`${bound} must be a number, not "${written}"`);
    else attribute[bound] = value;
  }
  if (attribute.min !== undefined && attribute.max !== undefined && attribute.min > attribute.max) {
    report(`min (${attribute.min}) is greater than max (${attribute.max})`);
  }
}

function readOptions(optionElements: XmlElement[], where: string, problems: string[]): ChoiceOption[] {
  if (optionElements.length === 0) problems.push(`${where}: a choice needs at least one <option>`);
  const values = new Set<string>();
  return optionElements.flatMap((element, index) => {
    const at = `${where}, option #${index + 1}`;
    checkShape(element, { attributes: ['value'], children: [], text: true }, at, problems);
    const value = element.attributes.value ?? '';
    if (!value) {
      problems.push(`${at}: the value attribute is missing or empty`);
      return [];
    }
    if (values.has(value)) problems.push(`${at}: the value "${value}" is used by an earlier option`);
    values.add(value);
    // The text is what people see; without one they see the value.
    return [{ value, label: element.text.trim() || value }];
  });
}

function readPrefill(raw: Record<string, string>, attribute: Attribute, report: (problem: string) => void): void {
  const prefill = raw.prefill as Prefill | undefined;
  if (prefill === undefined) return;
  if (!PREFILL_SOURCES.includes(prefill)) {
    report(`prefill "${prefill}" is not one of ${PREFILL_SOURCES.join(', ')}`);
  } else if (attribute.serverGenerated) {
    report('a serverGenerated attribute cannot have a prefill');
  } else if (!prefillFits(attribute.type, prefill)) {
    report(`prefill "${prefill}" does not fit a ${attribute.type} attribute (${describePrefills()})`);
  } else {
    attribute.prefill = prefill;
  }
}

function readDefault(raw: Record<string, string>, attribute: Attribute, report: (problem: string) => void): void {
  const written = raw.default;
  if (written === undefined) return;
  if (attribute.serverGenerated) {
    report('a serverGenerated attribute cannot have a default');
    return;
  }
  // Written as the catalogue has it: a default is never trimmed, and a blank one is no value.
  const value = isMissing(written) ? undefined : attributeType(attribute.type).parse(written);
  if (value === undefined) {
    report(`default "${written}" is not a ${attribute.type} value`);
    return;
  }
  // The default must pass the same rules as a value a person types.
  const error = validateAttribute(attribute, value);
  if (error) report(`default "${written}" is not valid: ${error.message}`);
  else attribute.default = value;
}
