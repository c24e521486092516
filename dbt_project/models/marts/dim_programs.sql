-- 보증상품 차원: general guarantee and the special guarantees (특례보증) with their latest size.
with

programs as (select * from {{ ref('ref_programs') }}),

sizes as (

    select distinct on (program_code) program_code, year as size_year, size_krw
    from {{ ref('ref_program_sizes') }}
    order by program_code asc, year desc

)

select
    p.code                      as program_code,
    p.name_ko,
    p.name_en,
    p.is_special,
    s.size_year                 as latest_size_year,
    s.size_krw                  as latest_size_krw
from programs as p
left join sizes as s on s.program_code = p.code
