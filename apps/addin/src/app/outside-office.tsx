import { makeStyles, MessageBar, MessageBarBody, MessageBarTitle, tokens } from '@fluentui/react-components';

const useStyles = makeStyles({ root: { padding: tokens.spacingHorizontalM } });

/** Shown when taskpane.html is opened in a plain browser instead of Outlook. */
export function OutsideOffice({ reason }: { reason: string }) {
  const styles = useStyles();
  return (
    <main className={styles.root}>
      <MessageBar intent="info" layout="multiline">
        <MessageBarBody>
          <MessageBarTitle>Open this in Outlook</MessageBarTitle>
          TOA is an Outlook add-in: select a message in Outlook and open TOA from the ribbon or the message's “Apps” menu. ({reason})
        </MessageBarBody>
      </MessageBar>
    </main>
  );
}
