export { EntityApprovalsCard } from './EntityApprovalsCard';
export { PendingApprovalsCard } from './PendingApprovalsCard';
