import Table, { TableProps } from '@material-ui/core/Table';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles({
  scroll: { overflowX: 'auto' },
  table: {
    // Words wrap at spaces only ("succeeded", "Duration", "Enabled" stay whole): a narrow card
    // scrolls the table sideways instead.
    '& th, & td': { wordBreak: 'normal', overflowWrap: 'normal' },
    // The first column (the CronJob, Job or rule name) stays on one line.
    '& td:first-child': { whiteSpace: 'nowrap' },
  },
});

/** A small table whose words never break across lines; it scrolls sideways when too wide. */
export function WordSafeTable(props: TableProps) {
  const classes = useStyles();
  return (
    <div className={classes.scroll}>
      <Table size="small" {...props} className={classes.table} />
    </div>
  );
}
