import { Badge, Caption1, makeStyles, MessageBar, MessageBarBody, Switch, Text, tokens } from '@fluentui/react-components';
import type { Attributes } from '@toa/api/imports';
import type { MessageFacts } from '@toa/api/prefill';
import type { AttributeLimits, Template } from '@toa/api/templates';
import { DocumentForm } from '../../../components/document-form';
import { type FieldMessages, prefillForTemplate } from '../../../lib/attribute-values';
import type { AttachmentDraft, DocumentDraft } from '../../../lib/drafts';
import { inheritedValues } from '../../../lib/inherited-values';
import { formatBytes } from '../../../lib/format';
import { isSignature, type MessageAttachment, type MessageProtection } from '../../../lib/office/mailbox';

const useStyles = makeStyles({
  list: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, margin: 0, padding: 0, listStyleType: 'none' },
  item: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXS,
    padding: tokens.spacingHorizontalS,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
  },
  head: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalXS, flexWrap: 'wrap', minWidth: 0 },
  name: { overflowWrap: 'anywhere', fontWeight: tokens.fontWeightSemibold },
  nested: { paddingLeft: tokens.spacingHorizontalS, borderLeft: `${tokens.strokeWidthThick} solid ${tokens.colorBrandStroke1}` },
});

export interface AttachmentListProps {
  attachments: readonly MessageAttachment[];
  /** the message is signed or encrypted: it is kept whole and attachments are copied */
  protection?: MessageProtection | undefined;
  drafts: Readonly<Record<string, AttachmentDraft>>;
  onChange: (attachmentId: string, draft: AttachmentDraft) => void;
  templates: readonly Template[];
  /** the message's document: a newly extracted attachment starts with its template and inherits its values */
  messageDocument: DocumentDraft;
  facts: MessageFacts;
  serverErrors?: Readonly<Record<string, FieldMessages>>;
  showAllErrors?: boolean;
  /** the server's limits on values (`GET …/templates`) */
  limits?: AttributeLimits;
  /** template id → the user's last filed values (`GET …/last-values`), defaults of fields nothing pre-fills */
  lastValues?: Readonly<Record<string, Attributes>> | undefined;
}

/** Draft of an attachment nobody touched yet: kept in the message (inline images above all). */
export function attachmentDraftOf(drafts: Readonly<Record<string, AttachmentDraft>>, id: string): AttachmentDraft {
  return drafts[id] ?? { extract: false, values: {} };
}

/** What the user is told before choosing, for a message that is evidence (ADR 0011). */
export const PROTECTION_NOTICE: Record<MessageProtection, string> = {
  signed: 'This message is signed; attachments are copied, the message is kept whole.',
  encrypted: 'This message is encrypted; it is kept whole, and its attachments cannot be taken out of it.',
  'signed-or-encrypted': 'This message is signed or encrypted; attachments are copied, the message is kept whole.',
};

/** Every attachment: stays in the message, or becomes a document of its own with its own template. */
export function AttachmentList(props: AttachmentListProps) {
  const styles = useStyles();
  const { attachments, protection, drafts, onChange, templates, messageDocument, facts, serverErrors = {}, showAllErrors, limits, lastValues } = props;
  const notice = protection && (
    <MessageBar intent="info">
      <MessageBarBody>{PROTECTION_NOTICE[protection]}</MessageBarBody>
    </MessageBar>
  );
  if (attachments.length === 0) {
    return (
      <>
        {notice}
        <Caption1>This message has no attachments.</Caption1>
      </>
    );
  }
  return (
    <>
      {notice}
      <ul className={styles.list} aria-label="Attachments">
        {attachments.map((attachment) => {
          const draft = attachmentDraftOf(drafts, attachment.id);
          const signature = isSignature(attachment);
          // Under any template it gets, the attachment's document inherits the message document's values and a
          // title from its file name.
          const inherit = (template: Template) =>
            inheritedValues(
              template,
              { template: templates.find((t) => t.id === messageDocument.templateId), values: messageDocument.values },
              attachment.name,
              limits,
            );
          const toggle = (extract: boolean) => {
            const template = templates.find((t) => t.id === (draft.templateId ?? messageDocument.templateId));
            // The first time an attachment is extracted it starts from the message's template.
            if (!(extract && draft.templateId === undefined && template !== undefined)) return onChange(attachment.id, { ...draft, extract });
            onChange(attachment.id, {
              extract,
              templateId: template.id,
              ...prefillForTemplate(template, facts, inherit(template), limits, lastValues?.[template.id]),
            });
          };
          return (
            <li key={attachment.id} className={styles.item}>
              <div className={styles.head}>
                <Text className={styles.name}>{attachment.name}</Text>
                {attachment.isInline && (
                  <Badge appearance="tint" color="informative">
                    inline
                  </Badge>
                )}
                {attachment.isItem && (
                  <Badge appearance="tint" color="informative">
                    message
                  </Badge>
                )}
                {signature && (
                  <Badge appearance="tint" color="informative">
                    signature
                  </Badge>
                )}
              </div>
              <Caption1>
                {attachment.contentType}, {formatBytes(attachment.size)}
              </Caption1>
              {signature ? (
                <Caption1>Stays with the message: it is what proves the signature.</Caption1>
              ) : (
                <Switch
                  checked={draft.extract}
                  onChange={(_, data) => toggle(data.checked)}
                  label={`${protection ? 'Copy' : 'Extract'} ${attachment.name} to its own document`}
                />
              )}
              {draft.extract && (
                <div className={styles.nested}>
                  <DocumentForm
                    templateLabel={`Template for ${attachment.name}`}
                    templates={templates}
                    draft={draft}
                    onChange={(next) => onChange(attachment.id, { ...next, extract: true })}
                    facts={facts}
                    serverErrors={serverErrors[attachment.id]}
                    showAllErrors={showAllErrors}
                    limits={limits}
                    lastValues={lastValues}
                    inherit={inherit}
                  />
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}
