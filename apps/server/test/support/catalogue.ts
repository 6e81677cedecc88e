/** The invoice template of SPEC §13.2, as the specification writes it. */
export const SPEC_INVOICE_TEMPLATE = `  <template id="invoice" name="Incoming invoice">
    <attribute id="supplier" label="Supplier" type="text" required="true" maxLength="100" prefill="fromName"/>
    <attribute id="amount" label="Amount" type="number" min="0"/>
    <attribute id="invoiceDate" label="Invoice date" type="date" required="true" prefill="receivedDate"/>
    <attribute id="department" label="Department" type="choice" required="true">
      <option value="FIN">Finance</option>
      <option value="HR">Human resources</option>
    </attribute>
    <attribute id="confidential" label="Confidential" type="boolean" default="false"/>
    <attribute id="reference" label="Reference" type="text" pattern="[A-Z]{2}-[0-9]{4}"/>
    <attribute id="caseNumber" label="Case number" type="text" serverGenerated="true"/>
  </template>
`;

/** A catalogue document holding the given template elements. */
export function catalogueXml(...templates: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<catalogue version="1">\n${templates.join('')}</catalogue>\n`;
}

/** The example of SPEC §13.2, exactly. */
export const SPEC_EXAMPLE = catalogueXml(SPEC_INVOICE_TEMPLATE);

/** The SPEC example plus a second, simple template: what the HTTP tests run on. */
export const SPEC_CATALOGUE = catalogueXml(
  SPEC_INVOICE_TEMPLATE,
  `  <template id="note" name="Note">
    <attribute id="title" label="Title" type="text"/>
  </template>
`,
);

/** Attribute values that satisfy the invoice template. */
export const VALID_INVOICE = {
  supplier: 'ACME s.r.o.',
  amount: 1250.5,
  invoiceDate: '2026-11-20',
  department: 'FIN',
  confidential: false,
  reference: 'AB-1234',
};
