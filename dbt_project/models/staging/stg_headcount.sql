-- 인원 현황: one row per employee and snapshot date; grades grouped into the report's bands.
with source as (

    select * from {{ source('raw', 'headcount') }}

),

renamed as (

    select
        snapshot_date,
        employee_id,
        org_unit_code,
        grade,
        case
            when grade in ('1', '2', '3', '4') then grade
            when grade in ('5', '6') then '5-6'
            else 'OTHER'
        end                                    as grade_band,
        employment_status,
        line_no,
        delivery_date,
        load_id,
        loaded_at
    from source

)

select * from renamed
