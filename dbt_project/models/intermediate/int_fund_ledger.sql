-- 기본재산 entries with their sign and the report's plan category (출연금 계획 분류).
-- Cut-over rows (entry_type OPENING, and the LOSS carrying the cumulative deficit on the
-- cut-over day) are flagged: the marts treat them as the opening balance, not as flows.
with

entries as (

    select * from {{ ref('stg_contributions') }}

),

contributor_types as (

    select * from {{ ref('ref_contributor_types') }}

),

cutover as (

    select min(received_date) as cutover_date
    from entries
    where entry_type = 'OPENING'

),

final as (

    select
        e.contribution_id,
        e.received_date,
        extract(year from e.received_date)::integer           as received_year,
        e.entry_type,
        e.contributor_code,
        e.contributor_name,
        e.contributor_type,
        t.plan_category,
        e.program_code,
        e.amount_krw,
        case when e.entry_type = 'LOSS' then -e.amount_krw else e.amount_krw end::bigint
                                                              as signed_amount_krw,
        (e.entry_type = 'OPENING'
         or (e.entry_type = 'LOSS' and e.received_date = c.cutover_date))
                                                              as is_cutover
    from entries as e
    cross join cutover as c
    left join contributor_types as t on t.contributor_type = e.contributor_type

)

select * from final
