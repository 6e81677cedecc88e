import { makeStyles, MessageBar, MessageBarBody, MessageBarTitle, tokens } from '@fluentui/react-components';
import type { OfficeStartup } from '../lib/office/ready';

const useStyles = makeStyles({ root: { padding: tokens.spacingHorizontalM } });

type Outside = Extract<OfficeStartup, { kind: 'outside' }>;

/** What the user is told, by why the pane is not running in Outlook. */
export function outsideOfficeText(startup: Outside): { title: string; body: string } {
  if (startup.failed) {
    return {
      title: 'TOA could not start',
      body: 'Outlook did not finish loading TOA. Check your network connection, then close TOA and open it again from the message.',
    };
  }
  if (startup.host) {
    return {
      title: 'TOA works in Outlook',
      body: `TOA files e-mail into your archive, so it runs in Outlook, not in ${startup.host}. Open it from a message in Outlook.`,
    };
  }
  return {
    title: 'Open TOA in Outlook',
    body: 'TOA files e-mail into your archive from Outlook. Select a message in Outlook and choose TOA in the ribbon or in the message’s Apps menu.',
  };
}

/** Shown when taskpane.html is opened anywhere but in Outlook. */
export function OutsideOffice({ startup }: { startup: Outside }) {
  const styles = useStyles();
  const { title, body } = outsideOfficeText(startup);
  return (
    <main className={styles.root}>
      <MessageBar intent="info" layout="multiline">
        <MessageBarBody>
          <MessageBarTitle>{title}</MessageBarTitle>
          {body}
        </MessageBarBody>
      </MessageBar>
    </main>
  );
}
