"""Constant currency on the bundled sample (docs/METRICS.md section 2a): a customer
whose local-currency amounts did not change is never expansion or contraction; the
exchange-rate move is its FX impact, and the bridge reconciles with the FX line."""

from conftest import ROOT

LOCAL = f"""
with raw as (
  select * from read_parquet('{ROOT}/sample_data/snapshots/**/*.parquet', hive_partitioning = true)
), close as (
  select date_trunc('month', snapshot_date) as month, max(snapshot_date) as day from raw group by 1
)
select r.customer_id, c.month,
       list(r.currency || ':' || cast(r.mrr as varchar) order by r.currency, r.subscription_id) as amounts
from raw r join close c on r.snapshot_date = c.day
where r.status is null
   or lower(trim(r.status)) not in ('trialing', 'paused', 'canceled', 'cancelled', 'incomplete', 'incomplete_expired')
group by 1, 2
"""


def test_unchanged_local_mrr_is_never_expansion_or_contraction(output_db):
    output_db.execute(f"create view local as {LOCAL}")
    rows = output_db.execute("""
        select cm.movement, count(*) as n, count(*) filter (where cm.fx_mrr <> 0) as with_fx
        from customer_months cm
        join local a on a.customer_id = cm.customer_id and a.month = cm.month
        join local b on b.customer_id = cm.customer_id and b.month = cm.month - interval 1 month
        where a.amounts = b.amounts and cm.prev_mrr > 0 and cm.mrr > 0
        group by 1
    """).fetchall()
    by_movement = {m: (n, fx) for m, n, fx in rows}
    assert set(by_movement) == {"flat"}, by_movement
    n, with_fx = by_movement["flat"]
    assert n > 1000 and with_fx > 1000, "the sample's EUR and GBP customers move with their rates"


def test_every_bridge_reconciles_with_the_fx_line(output_db):
    bad = output_db.execute("""
        select count(*) from mrr_movements
        where mrr_start + mrr_new + mrr_reactivation + mrr_expansion - mrr_contraction - mrr_churn + mrr_fx <> mrr_end
    """).fetchone()[0]
    assert bad == 0
    moved = output_db.execute("select count(*) from mrr_movements where mrr_fx <> 0").fetchone()[0]
    assert moved > 0
