import {
  FindingSeverity,
  HealthFinding,
  findingTitle,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import ListSubheader from '@material-ui/core/ListSubheader';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles({
  subheader: { lineHeight: 2, background: 'inherit' },
  // Long messages wrap at spaces; only a token wider than the card (an object key) may break.
  message: { whiteSpace: 'normal', overflowWrap: 'break-word' },
});

const SEVERITY_HEADINGS: Record<FindingSeverity, string> = {
  critical: 'Threatens recovery',
  unknown: 'Could not be checked',
  warning: 'Needs attention',
  info: 'For information',
};

/** The findings, worst first, under one heading per severity; the code is the title's tooltip. */
export function FindingGroups(props: { findings: HealthFinding[] }) {
  const classes = useStyles();
  const severities = [...new Set(props.findings.map(f => f.severity))];
  return (
    <>
      {severities.map(severity => (
        <List
          dense
          key={severity}
          aria-label={SEVERITY_HEADINGS[severity]}
          subheader={
            <ListSubheader disableGutters className={classes.subheader}>
              {SEVERITY_HEADINGS[severity]}
            </ListSubheader>
          }
        >
          {props.findings
            .filter(f => f.severity === severity)
            .map((finding, index) => (
              <ListItem key={`${finding.code}-${index}`} disableGutters>
                <ListItemText
                  secondaryTypographyProps={{ className: classes.message }}
                  primary={
                    <span title={finding.code}>
                      {findingTitle(finding.code)}
                    </span>
                  }
                  secondary={finding.message}
                />
              </ListItem>
            ))}
        </List>
      ))}
    </>
  );
}
