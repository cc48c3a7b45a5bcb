import { entityPresentationSnapshot } from '@backstage/plugin-catalog-react';
import { FleetEntry } from '@pg-backup/backstage-plugin-pg-backup-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import { makeStyles } from '@material-ui/core/styles';
import {
  FleetFilterName,
  FleetFilterValues,
  STATUSES_WORST_FIRST,
  filterOptions,
} from './fleetFilter';

const useStyles = makeStyles(theme => ({
  bar: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'flex-end',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  },
  select: { minWidth: 200 },
}));

/** A native select, so it works with the keyboard and screen readers as browsers do. */
function FilterSelect(props: {
  name: FleetFilterName;
  label: string;
  allLabel: string;
  value?: string;
  options: { value: string; label: string }[];
  onChange: (name: FleetFilterName, value: string) => void;
}) {
  const classes = useStyles();
  return (
    <TextField
      select
      id={`pg-backup-fleet-${props.name}`}
      className={classes.select}
      label={props.label}
      value={props.value ?? ''}
      onChange={event => props.onChange(props.name, event.target.value)}
      SelectProps={{ native: true }}
      InputLabelProps={{ shrink: true }}
    >
      <option value="">{props.allLabel}</option>
      {props.options.map(option => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </TextField>
  );
}

const refOptions = (refs: string[], defaultKind: string) =>
  refs.map(ref => ({
    value: ref,
    label: entityPresentationSnapshot(ref, { defaultKind }).primaryTitle,
  }));

/** Status, owner and system filters; options come from the whole fleet. */
export function FleetFilterBar(props: {
  entries: FleetEntry[];
  filter: FleetFilterValues;
  onChange: (name: FleetFilterName, value: string) => void;
  onClear: () => void;
}) {
  const classes = useStyles();
  const { entries, filter, onChange } = props;
  const statusCount = (status: string) =>
    entries.filter(entry => entry.status === status).length;
  const active = Boolean(filter.status || filter.owner || filter.system);
  return (
    <Box className={classes.bar}>
      <FilterSelect
        name="status"
        label="Status"
        allLabel="All statuses"
        value={filter.status}
        options={STATUSES_WORST_FIRST.map(status => ({
          value: status,
          label: `${status[0].toUpperCase()}${status.slice(1)} (${statusCount(
            status,
          )})`,
        }))}
        onChange={onChange}
      />
      <FilterSelect
        name="owner"
        label="Owner"
        allLabel="All owners"
        value={filter.owner}
        options={refOptions(
          filterOptions(entries, 'owner', filter.owner),
          'group',
        )}
        onChange={onChange}
      />
      <FilterSelect
        name="system"
        label="System"
        allLabel="All systems"
        value={filter.system}
        options={refOptions(
          filterOptions(entries, 'system', filter.system),
          'system',
        )}
        onChange={onChange}
      />
      {active && <Button onClick={props.onClear}>Clear filters</Button>}
    </Box>
  );
}
