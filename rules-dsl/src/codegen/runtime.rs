//! Helper functions emitted into every module: checked arithmetic, rounded
//! division and the calendar. Each mirrors a Rust function of `calendar.rs`
//! exactly (the differential test holds them to it); a helper traps where
//! the Rust function returns `None`.

use wasm_encoder::{Function, Instruction as I, ValType};

use super::asm::Asm;
use crate::calendar::{MAX_DAY, MAX_YEAR, MIN_DAY, MIN_YEAR};

/// Function indices of the helpers; they come first in every module.
pub const CHECKED_ADD: u32 = 0;
pub const CHECKED_SUB: u32 = 1;
pub const CHECKED_MUL: u32 = 2;
pub const DIV_ROUND: u32 = 3;
pub const CIVIL: u32 = 4;
pub const DAYS_FROM_CIVIL: u32 = 5;
pub const DAYS_IN_MONTH: u32 = 6;
pub const ADD_MONTHS: u32 = 7;
pub const MONTHS_BETWEEN: u32 = 8;
pub const AGE_ON: u32 = 9;
pub const CHECK_DAY: u32 = 10;
pub const COUNT: u32 = 11;

/// (params, results) of each helper, by index.
pub fn signatures() -> Vec<(Vec<ValType>, Vec<ValType>)> {
    use ValType::I64;
    vec![
        (vec![I64, I64], vec![I64]),
        (vec![I64, I64], vec![I64]),
        (vec![I64, I64], vec![I64]),
        (vec![I64, I64, I64], vec![I64]),
        (vec![I64], vec![I64, I64, I64]),
        (vec![I64, I64, I64], vec![I64]),
        (vec![I64, I64], vec![I64]),
        (vec![I64, I64], vec![I64]),
        (vec![I64, I64], vec![I64]),
        (vec![I64, I64], vec![I64]),
        (vec![I64], vec![I64]),
    ]
}

pub fn bodies() -> Vec<Function> {
    vec![
        checked_add(),
        checked_sub(),
        checked_mul(),
        div_round(),
        civil(),
        days_from_civil(),
        days_in_month(),
        add_months(),
        months_between(),
        age_on(),
        check_day(),
    ]
}

/// Traps unless the i32 on the stack is zero.
fn trap_if(asm: &mut Asm) {
    asm.if_();
    asm.op(I::Unreachable);
    asm.end();
}

fn checked_add() -> Function {
    let mut a = Asm::new(2);
    let r = a.i64();
    a.get(0).get(1).op(I::I64Add).set(r);
    // Overflow when both operands differ in sign from the result.
    a.get(0)
        .get(r)
        .op(I::I64Xor)
        .get(1)
        .get(r)
        .op(I::I64Xor)
        .op(I::I64And)
        .i64_const(0)
        .op(I::I64LtS);
    trap_if(&mut a);
    a.get(r);
    a.finish()
}

fn checked_sub() -> Function {
    let mut a = Asm::new(2);
    let r = a.i64();
    a.get(0).get(1).op(I::I64Sub).set(r);
    // Overflow when the operands differ in sign and the result's sign differs from a.
    a.get(0)
        .get(1)
        .op(I::I64Xor)
        .get(0)
        .get(r)
        .op(I::I64Xor)
        .op(I::I64And)
        .i64_const(0)
        .op(I::I64LtS);
    trap_if(&mut a);
    a.get(r);
    a.finish()
}

fn checked_mul() -> Function {
    let mut a = Asm::new(2);
    let r = a.i64();
    a.get(0).op(I::I64Eqz);
    a.if_();
    a.i64_const(0).op(I::Return);
    a.end();
    // -1 * MIN overflows, and MIN / -1 below would trap the same way.
    a.get(0)
        .i64_const(-1)
        .op(I::I64Eq)
        .get(1)
        .i64_const(i64::MIN)
        .op(I::I64Eq)
        .op(I::I32And);
    trap_if(&mut a);
    a.get(0).get(1).op(I::I64Mul).set(r);
    a.get(r).get(0).op(I::I64DivS).get(1).op(I::I64Ne);
    trap_if(&mut a);
    a.get(r);
    a.finish()
}

/// abs as an unsigned value: (x ^ (x >> 63)) - (x >> 63).
fn unsigned_abs(a: &mut Asm, x: u32) {
    a.get(x).get(x).i64_const(63).op(I::I64ShrS).op(I::I64Xor);
    a.get(x).i64_const(63).op(I::I64ShrS).op(I::I64Sub);
}

fn div_round() -> Function {
    // params: a, b, mode
    let mut a = Asm::new(3);
    let (q, r, sign, r_abs, rest, away) = (a.i64(), a.i64(), a.i64(), a.i64(), a.i64(), a.i32());
    a.get(0).get(1).op(I::I64DivS).set(q); // traps on b = 0 and MIN / -1
    a.get(0).get(1).op(I::I64RemS).set(r);
    a.get(r).op(I::I64Eqz);
    a.if_();
    a.get(q).op(I::Return);
    a.end();
    // sign = -1 when exactly one of a, b is negative.
    a.i64_const(-1).i64_const(1);
    a.get(0)
        .i64_const(0)
        .op(I::I64LtS)
        .get(1)
        .i64_const(0)
        .op(I::I64LtS)
        .op(I::I32Ne);
    a.op(I::Select).set(sign);
    unsigned_abs(&mut a, r);
    a.set(r_abs);
    unsigned_abs(&mut a, 1);
    a.get(r_abs).op(I::I64Sub).set(rest);
    // away = mode 1 | (mode 2 & r_abs >= rest) | (mode 3 & (r_abs > rest | r_abs == rest & q odd))
    a.get(2).i64_const(1).op(I::I64Eq);
    a.get(2)
        .i64_const(2)
        .op(I::I64Eq)
        .get(r_abs)
        .get(rest)
        .op(I::I64GeU)
        .op(I::I32And);
    a.op(I::I32Or);
    a.get(2).i64_const(3).op(I::I64Eq);
    a.get(r_abs).get(rest).op(I::I64GtU);
    a.get(r_abs)
        .get(rest)
        .op(I::I64Eq)
        .get(q)
        .i64_const(2)
        .op(I::I64RemS)
        .i64_const(0)
        .op(I::I64Ne)
        .op(I::I32And);
    a.op(I::I32Or).op(I::I32And);
    a.op(I::I32Or).set(away);
    a.get(q)
        .get(sign)
        .op(I::I64Add)
        .get(q)
        .get(away)
        .op(I::Select);
    a.finish()
}

/// Floor division by a positive constant.
fn floor_div(a: &mut Asm, x: u32, divisor: i64) {
    a.get(x)
        .get(x)
        .i64_const(divisor - 1)
        .op(I::I64Sub)
        .get(x)
        .i64_const(0)
        .op(I::I64GeS)
        .op(I::Select);
    a.i64_const(divisor).op(I::I64DivS);
}

fn civil() -> Function {
    // param: days; results: year, month, day (Hinnant's civil_from_days).
    let mut a = Asm::new(1);
    let (z, era, doe, yoe, doy, mp, d, m, y) = (
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
    );
    a.get(0).i64_const(719_468).op(I::I64Add).set(z);
    floor_div(&mut a, z, 146_097);
    a.set(era);
    a.get(z)
        .get(era)
        .i64_const(146_097)
        .op(I::I64Mul)
        .op(I::I64Sub)
        .set(doe);
    // yoe = (doe - doe/1460 + doe/36524 - doe/146096) / 365
    a.get(doe);
    a.get(doe).i64_const(1460).op(I::I64DivS).op(I::I64Sub);
    a.get(doe).i64_const(36_524).op(I::I64DivS).op(I::I64Add);
    a.get(doe).i64_const(146_096).op(I::I64DivS).op(I::I64Sub);
    a.i64_const(365).op(I::I64DivS).set(yoe);
    // doy = doe - (365*yoe + yoe/4 - yoe/100)
    a.get(doe);
    a.get(yoe).i64_const(365).op(I::I64Mul);
    a.get(yoe).i64_const(4).op(I::I64DivS).op(I::I64Add);
    a.get(yoe).i64_const(100).op(I::I64DivS).op(I::I64Sub);
    a.op(I::I64Sub).set(doy);
    // mp = (5*doy + 2) / 153
    a.get(doy)
        .i64_const(5)
        .op(I::I64Mul)
        .i64_const(2)
        .op(I::I64Add)
        .i64_const(153)
        .op(I::I64DivS)
        .set(mp);
    // d = doy - (153*mp + 2)/5 + 1
    a.get(doy);
    a.get(mp)
        .i64_const(153)
        .op(I::I64Mul)
        .i64_const(2)
        .op(I::I64Add)
        .i64_const(5)
        .op(I::I64DivS);
    a.op(I::I64Sub).i64_const(1).op(I::I64Add).set(d);
    // m = mp < 10 ? mp + 3 : mp - 9
    a.get(mp)
        .i64_const(3)
        .op(I::I64Add)
        .get(mp)
        .i64_const(9)
        .op(I::I64Sub);
    a.get(mp).i64_const(10).op(I::I64LtS).op(I::Select).set(m);
    // y = yoe + era*400 + (m <= 2)
    a.get(yoe)
        .get(era)
        .i64_const(400)
        .op(I::I64Mul)
        .op(I::I64Add);
    a.get(m)
        .i64_const(2)
        .op(I::I64LeS)
        .op(I::I64ExtendI32U)
        .op(I::I64Add)
        .set(y);
    a.get(y).get(m).get(d);
    a.finish()
}

fn days_from_civil() -> Function {
    // params: year, month, day
    let mut a = Asm::new(3);
    let (y, era, yoe, doy, doe) = (a.i64(), a.i64(), a.i64(), a.i64(), a.i64());
    // y = month <= 2 ? year - 1 : year
    a.get(0)
        .get(1)
        .i64_const(2)
        .op(I::I64LeS)
        .op(I::I64ExtendI32U)
        .op(I::I64Sub)
        .set(y);
    floor_div(&mut a, y, 400);
    a.set(era);
    a.get(y)
        .get(era)
        .i64_const(400)
        .op(I::I64Mul)
        .op(I::I64Sub)
        .set(yoe);
    // doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
    a.get(1)
        .i64_const(9)
        .op(I::I64Add)
        .i64_const(12)
        .op(I::I64RemS);
    a.i64_const(153)
        .op(I::I64Mul)
        .i64_const(2)
        .op(I::I64Add)
        .i64_const(5)
        .op(I::I64DivS);
    a.get(2).op(I::I64Add).i64_const(1).op(I::I64Sub).set(doy);
    // doe = yoe*365 + yoe/4 - yoe/100 + doy
    a.get(yoe).i64_const(365).op(I::I64Mul);
    a.get(yoe).i64_const(4).op(I::I64DivS).op(I::I64Add);
    a.get(yoe).i64_const(100).op(I::I64DivS).op(I::I64Sub);
    a.get(doy).op(I::I64Add).set(doe);
    a.get(era)
        .i64_const(146_097)
        .op(I::I64Mul)
        .get(doe)
        .op(I::I64Add)
        .i64_const(719_468)
        .op(I::I64Sub);
    a.finish()
}

/// Pushes an i32: whether the i64 in `year` is a leap year.
fn is_leap(a: &mut Asm, year: u32) {
    a.get(year).i64_const(4).op(I::I64RemS).op(I::I64Eqz);
    a.get(year)
        .i64_const(100)
        .op(I::I64RemS)
        .i64_const(0)
        .op(I::I64Ne)
        .op(I::I32And);
    a.get(year)
        .i64_const(400)
        .op(I::I64RemS)
        .op(I::I64Eqz)
        .op(I::I32Or);
}

fn days_in_month() -> Function {
    // params: year, month
    let mut a = Asm::new(2);
    a.get(1).i64_const(2).op(I::I64Eq);
    a.if_();
    a.i64_const(29).i64_const(28);
    is_leap(&mut a, 0);
    a.op(I::Select).op(I::Return);
    a.end();
    // 30 for April, June, September, November; else 31.
    a.i64_const(30).i64_const(31);
    a.get(1).i64_const(4).op(I::I64Eq);
    a.get(1).i64_const(6).op(I::I64Eq).op(I::I32Or);
    a.get(1).i64_const(9).op(I::I64Eq).op(I::I32Or);
    a.get(1).i64_const(11).op(I::I64Eq).op(I::I32Or);
    a.op(I::Select);
    a.finish()
}

fn add_months() -> Function {
    // params: days, months. Mirrors calendar::checked_add_months.
    let mut a = Asm::new(2);
    let (y, m, d, total, ny, nm, dim) = (
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
    );
    a.get(0).call_check_day().op(I::Drop);
    a.get(0).op(I::Call(CIVIL)).set(d).set(m).set(y);
    a.get(y)
        .i64_const(12)
        .op(I::I64Mul)
        .get(m)
        .i64_const(1)
        .op(I::I64Sub)
        .op(I::I64Add);
    a.get(1).op(I::Call(CHECKED_ADD)).set(total);
    floor_div(&mut a, total, 12);
    a.set(ny);
    a.get(ny)
        .i64_const(MIN_YEAR)
        .op(I::I64LtS)
        .get(ny)
        .i64_const(MAX_YEAR)
        .op(I::I64GtS)
        .op(I::I32Or);
    trap_if(&mut a);
    a.get(total)
        .get(ny)
        .i64_const(12)
        .op(I::I64Mul)
        .op(I::I64Sub)
        .i64_const(1)
        .op(I::I64Add)
        .set(nm);
    a.get(ny).get(nm).op(I::Call(DAYS_IN_MONTH)).set(dim);
    a.get(ny).get(nm);
    a.get(d)
        .get(dim)
        .get(d)
        .get(dim)
        .op(I::I64LtS)
        .op(I::Select);
    a.op(I::Call(DAYS_FROM_CIVIL));
    a.finish()
}

fn months_between() -> Function {
    // params: from, to. Mirrors calendar::months_between.
    let mut a = Asm::new(2);
    let (fy, fm, fd, ty, tm, td, n) = (
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
    );
    a.get(1).get(0).op(I::I64LtS);
    a.if_();
    a.i64_const(0)
        .get(1)
        .get(0)
        .op(I::Call(MONTHS_BETWEEN))
        .op(I::I64Sub)
        .op(I::Return);
    a.end();
    a.get(0).op(I::Call(CIVIL)).set(fd).set(fm).set(fy);
    a.get(1).op(I::Call(CIVIL)).set(td).set(tm).set(ty);
    a.get(ty)
        .get(fy)
        .op(I::I64Sub)
        .i64_const(12)
        .op(I::I64Mul)
        .get(tm)
        .get(fm)
        .op(I::I64Sub)
        .op(I::I64Add)
        .set(n);
    let done = a.block();
    let again = a.loop_();
    a.get(n).i64_const(0).op(I::I64LeS).br_if(done);
    a.get(0)
        .get(n)
        .op(I::Call(ADD_MONTHS))
        .get(1)
        .op(I::I64LeS)
        .br_if(done);
    a.get(n).i64_const(1).op(I::I64Sub).set(n);
    a.br(again);
    a.end();
    a.end();
    a.get(n);
    let _ = (fd, td);
    a.finish()
}

fn age_on() -> Function {
    // params: birth, on. Mirrors calendar::age_on.
    let mut a = Asm::new(2);
    let (by, bm, bd, oy, om, od, age) = (
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
        a.i64(),
    );
    a.get(0).op(I::Call(CIVIL)).set(bd).set(bm).set(by);
    a.get(1).op(I::Call(CIVIL)).set(od).set(om).set(oy);
    a.get(oy).get(by).op(I::I64Sub).set(age);
    // A 29 February birthday falls on 1 March in common years.
    a.get(bm)
        .i64_const(2)
        .op(I::I64Eq)
        .get(bd)
        .i64_const(29)
        .op(I::I64Eq)
        .op(I::I32And);
    is_leap(&mut a, oy);
    a.op(I::I32Eqz).op(I::I32And);
    a.if_();
    a.set_i64(bm, 3);
    a.set_i64(bd, 1);
    a.end();
    // (om, od) < (bm, bd)
    a.get(om).get(bm).op(I::I64LtS);
    a.get(om)
        .get(bm)
        .op(I::I64Eq)
        .get(od)
        .get(bd)
        .op(I::I64LtS)
        .op(I::I32And);
    a.op(I::I32Or);
    a.if_();
    a.get(age).i64_const(1).op(I::I64Sub).set(age);
    a.end();
    a.get(age);
    a.finish()
}

fn check_day() -> Function {
    // param: days; traps outside years 0001..=9999, else returns it.
    let mut a = Asm::new(1);
    a.get(0)
        .i64_const(MIN_DAY)
        .op(I::I64LtS)
        .get(0)
        .i64_const(MAX_DAY)
        .op(I::I64GtS)
        .op(I::I32Or);
    trap_if(&mut a);
    a.get(0);
    a.finish()
}

impl Asm {
    pub fn call_check_day(&mut self) -> &mut Asm {
        self.op(I::Call(CHECK_DAY))
    }
}
