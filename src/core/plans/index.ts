// Plans: backups that run on their own, their schedules, the run journal, the lock and notifications.
export { nextRuns } from './calendar';
export { machineZone, type Plan } from './config';
export { installSchedule, ownerOf, previewSchedule, removeSchedule, schedulePlaces, scheduleText, type SchedulePlaces, type SchedulePreview, type Scheduler, systemdCalendarCheck } from './install';
export { describePlans, planNamed, plansHealth, runnablePlan } from './overview';
export { planCalendars, planNextRuns, type RunTarget } from './schedule';
export { BACKREST_TYPES } from './backrestPlan';
export { onCalendar } from './systemd';
export { journalPath, journalSummary, readJournal, type JournalRecord } from './journal';
export { acquirePlanLock, alreadyRunning } from './lock';
export { RunExit, runPlan } from './run';
export type { PlanToRun } from './run';
export { scheduleState, type InstalledSchedule, type ScheduleState } from './installed';
export { failureToWarn, rememberRun, runKey } from './warnings';
export { DOCTOR_PROGRAMS, type DoctorProgram, type Finding, type FolderAccess, planNeeds, type PlanNeeds, type ReadinessFacts, readinessFailed, readinessFindings } from './readiness';
