-- 구상채권·특수채권: closing = opening + generated − recovered − written_off − extinguished − sold − waived,
-- and closing(y) = opening(y+1) for each ledger.
with r as (select * from {{ ref('rpt_claims_rollforward_yearly') }})

select r.year, r.ledger, 'identity' as failed_check
from r
where r.closing_krw <> r.opening_krw + r.generated_krw - r.recovered_krw - r.written_off_krw
                      - r.extinguished_krw - r.sold_krw - r.waived_krw
union all
select r.year, r.ledger, 'continuity'
from r
join r as n on n.ledger = r.ledger and n.year = r.year + 1
where n.opening_krw <> r.closing_krw
union all
-- SPECIAL's generated = what RECOURSE wrote off
select s.year, s.ledger, 'write_off_transfer'
from r as s
join r as c on c.year = s.year and c.ledger = 'RECOURSE'
where s.ledger = 'SPECIAL' and s.generated_krw <> c.written_off_krw
