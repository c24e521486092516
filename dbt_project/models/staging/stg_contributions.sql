-- 출연금·결손: entries of the fund ledger (기본재산).
with source as (

    select * from {{ source('raw', 'contributions') }}

),

renamed as (

    select
        contribution_id,
        received_date,
        entry_type,
        contributor_code,
        contributor_name,
        contributor_type,
        program_code,
        amount_krw::bigint                     as amount_krw,
        line_no,
        delivery_date,
        load_id,
        loaded_at
    from source

)

select * from renamed
