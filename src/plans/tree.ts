// The Plans view: each plan of pgbackup.yaml with its last run, next run and installed schedule → the last run, the next runs, the schedule, the keep rules, what retention would do now.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { TreeNode, ErrorNode } from '../treeNode';
import type { NodeTarget, Targeted } from '../targets';
import { errorMessage, formatWhen } from '../core/platform';
import { describePlans, journalPath, journalSummary, machineZone, type JournalRecord, type ScheduleState } from '../core/plans';
import { previewPrune } from '../core/retention';
import { keepRulesText, lastRunLines, planDescription, planTooltip, retentionSummary, scheduleStateText, type PlanFacts } from './rows';
import { installedState, scheduling } from './schedule';
import { planToRun } from './plan';

/** A plan's row: its commands (Run Now, Preview Retention, Open Journal) act on `target`. */
export class PlanNode extends TreeNode implements Targeted {
  readonly parent = undefined;
  readonly target: NodeTarget;
  constructor(
    public facts: PlanFacts,
    now: Date,
  ) {
    super(facts.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `plan/${facts.name}`;
    this.show(now);
    const failed = facts.lastRun?.outcome === 'failed';
    this.iconPath = new vscode.ThemeIcon(failed ? 'error' : 'calendar', failed ? new vscode.ThemeColor('errorForeground') : undefined);
    this.contextValue = 'plan';
    this.target = { kind: 'plan', name: facts.name };
  }

  /** The schedule's state arrived after the row was drawn. */
  withSchedule(installed: ScheduleState, now: Date): void {
    this.facts = { ...this.facts, installed };
    this.show(now);
  }

  private show(now: Date): void {
    this.description = planDescription(this.facts, now);
    this.tooltip = planTooltip(this.facts, now);
  }
}

/** One line under a plan: its last run, its next runs or its keep rules. */
export class PlanDetailNode extends TreeNode {
  constructor(
    readonly parent: PlanNode,
    label: string,
    description: string,
    icon: string,
  ) {
    super(label, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id ?? ''}/${label}`;
    this.description = description;
    this.tooltip = `${label}: ${description}`;
    this.iconPath = new vscode.ThemeIcon(icon);
    this.contextValue = 'planDetail';
  }
}

export type PlansNode = PlanNode | PlanDetailNode | ErrorNode;

export class PlansProvider implements vscode.TreeDataProvider<PlansNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PlansNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];
  /** Bumped by each refresh: a schedule lookup of an earlier listing does not touch the rows of a newer one. */
  private generation = 0;
  /** What each plan's retention would do now, computed when its row is first expanded, kept until the next refresh. */
  private retention = new Map<string, Promise<string>>();
  /** Called with each plan's newest run whenever the journals are read (the failed-run warning listens). */
  onLastRuns?: (runs: { plan: string; timezone: string; lastRun?: JournalRecord }[]) => void;

  constructor(private readonly ctx: Ctx) {
    // pgbackup.yaml is where plans live; a change to it reloads the profiles, and so the plans.
    this.subscriptions = [ctx.onDidChangeProfiles(() => this.refresh())];
  }

  refresh(): void {
    this.generation++;
    this.retention = new Map();
    this.changed.fire(undefined);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }

  getTreeItem(node: PlansNode): vscode.TreeItem {
    return node;
  }

  getParent(node: PlansNode): PlansNode | undefined {
    return node.parent instanceof PlanNode ? node.parent : undefined;
  }

  async getChildren(node?: PlansNode): Promise<PlansNode[]> {
    try {
      if (!node) return await this.plans();
      if (node instanceof PlanNode) return await this.details(node);
    } catch (e) {
      this.ctx.log.warn(errorMessage(e));
      return [new ErrorNode(undefined, errorMessage(e))];
    }
    return [];
  }

  private async plans(): Promise<PlansNode[]> {
    const loaded = await this.ctx.profiles();
    const now = new Date();
    const overviews = describePlans(loaded.config ?? {}, this.ctx.places, now, machineZone(), 3);
    const planNodes = await Promise.all(
      overviews.map(async (p) => {
        const summary = await journalSummary(journalPath(p));
        for (const problem of summary.problems) this.ctx.log.warn(`plan ${p.name}: ${problem}`);
        const facts: PlanFacts = { name: p.name, schedule: p.schedule, timezone: p.timezone, nextRuns: p.nextRuns, ...(p.keep ? { keep: p.keep } : {}), ...(summary.lastRun ? { lastRun: summary.lastRun } : {}) };
        return new PlanNode(facts, now);
      }),
    );
    this.onLastRuns?.(planNodes.map((n) => ({ plan: n.facts.name, timezone: n.facts.timezone, ...(n.facts.lastRun ? { lastRun: n.facts.lastRun } : {}) })));
    // systemctl and crontab are asked after the rows are drawn: a slow answer delays one row's words, never the view.
    const generation = this.generation;
    for (const node of planNodes) void this.lookUpSchedule(node, generation);
    const nodes: PlansNode[] = [...planNodes];
    // A plan that does not load is shown with its reason, where the plan would be.
    const problems = loaded.problems.filter((p) => p.plan !== undefined && p.severity !== 'warning');
    problems.forEach((p, i) => nodes.push(new ErrorNode(undefined, `plan ${p.plan ?? ''}: ${p.message}`, { index: i })));
    return nodes;
  }

  private async lookUpSchedule(node: PlanNode, generation: number): Promise<void> {
    const state = await scheduling(this.ctx, node.facts.name)
      .then(installedState)
      .catch((e: unknown): ScheduleState => ({ installed: [], problems: [errorMessage(e)] }));
    for (const problem of state.problems) this.ctx.log.warn(`plan ${node.facts.name}'s schedule: ${problem}`);
    if (generation !== this.generation) return;
    node.withSchedule(state, new Date());
    this.changed.fire(node);
  }

  private async details(node: PlanNode): Promise<PlansNode[]> {
    const now = new Date();
    const { facts } = node;
    const [lastRun, ...more] = lastRunLines(facts.lastRun, now, facts.timezone);
    const next = facts.nextRuns.map((d) => formatWhen(d, { now, timeZone: facts.timezone })).join('; ');
    return [
      // The row's label already says "Last run".
      new PlanDetailNode(node, 'Last run', [lastRun?.replace(/^Last run /, ''), ...more].join(' · '), facts.lastRun?.outcome === 'failed' ? 'error' : 'history'),
      new PlanDetailNode(node, 'Next runs', next || 'none: the schedule has no time ahead', 'clock'),
      new PlanDetailNode(node, 'Schedule', scheduleStateText(facts.installed), 'watch'),
      new PlanDetailNode(node, 'Keep', keepRulesText(facts.keep), 'archive'),
      new PlanDetailNode(node, 'Retention now', await this.retentionOf(facts.name), 'trash'),
    ];
  }

  /** The same preview Preview Retention opens, in one line; once per plan until the next refresh. */
  private retentionOf(plan: string): Promise<string> {
    let summary = this.retention.get(plan);
    if (!summary) {
      summary = planToRun(this.ctx, plan)
        .then(previewPrune)
        .then(retentionSummary, (e: unknown) => `cannot be previewed: ${errorMessage(e)}`);
      this.retention.set(plan, summary);
    }
    return summary;
  }
}
