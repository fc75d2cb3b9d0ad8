"""scenarios.py: planted causes and distractors for gen_site.py --scenario.

Each scenario is a ten-day site whose data carry one cause at one level of
the trace, written from the laboratory facts it imitates, plus distractors:
real-looking events that happen in the same days and must not be taken as
the cause.  Patients' values are quiet (a healthy spread inside the
reference interval) so that every run in the data is there for a reason,
and specimens arrive in batches by department, as they do from the wards.

  level1  pre-analytics, one department.  From day 6 08:00 the emergency
          department's centrifuge CF-02 runs slow (worn drive: ~2,150 rpm
          measured for 3,000 set; RCF ~830 g against the SOP's 1,300 g for
          serum).  Serum potassium of ED specimens comes out high (platelet
          and cell K+ left in the serum).  Distractors: a routine
          recalibration of CHEM-01 ISE1 (the K channel) on day 4 with no
          shift, a new CHEM-CTRL level-2 lot on day 5 with correct targets,
          an aborted run of the lab's CF-01 with a proper re-spin on day 7,
          a slow citrate run of CF-02 on day 2 (another specimen type, before
          the problem), the reference-interval change for K on day 2.
  level2  the QC target.  On day 6 07:50 a new target for PT on COAG-CTRL
          level 2 (lot L2411A) is entered with the wrong mean (21.0 s for
          22.68 s: the level-1 insert value keyed into the level-2 field
          plus a typo), so level-2 QC reads +2.8 SD from then on while the
          material, the patients and level 1 are fine.  Distractors: the
          HEM-02 CH1 recalibration with a new reagent lot and ISI change on
          day 5 (no shift), a slow serum run in cardiology's ward on day 7,
          a target edit of APTT level 1 on day 3 that is correct.
  level3  the channel.  On day 6 07:30 CHEM-01 PH1 (glucose, creatinine) is
          recalibrated with calibrator lot CAL-81, which carries a wrong
          assigned value: glucose reads +24 % from then on, on patients of
          every department and on both QC levels.  Distractors: an ED
          citrate run below the SOP on day 6 (another specimen type), a
          correct target edit for CREA level 1 on day 4, a COAG-CTRL lot
          event, a recalibration of HEM-02 CH3 (fibrinogen) on day 6.
Everything is invented; times are +08:00.
"""
import datetime as dt


class Scenario:
    name = "none"
    quiet = True

    def __init__(self, start):
        self.start = start

    def day(self, d, h=0, m=0):
        return self.start + dt.timedelta(days=d, hours=h, minutes=m)

    # hooks; defaults change nothing
    def calibrations(self, iso, ts14):
        return []

    def config_events(self, iso):
        return []

    def targets(self, targets, iso):
        """(test, material, level, lot, mean, sd, from, to, source, entered_by) rows."""
        return targets

    def lots(self, lots, lot_events, iso):
        return lots, lot_events

    def qc_lot(self, inst, mat, lot, lvl, t):
        return lot

    def centrifuge(self, row, t):
        """A run row (run_id, cf, dept, start, program, type, set_rpm, rpm, radius, rcf, min, temp,
        event, note); returns the rows to write (a re-spin adds one)."""
        return [row]

    def patient(self, v, code, inst, dept, t, spun_run):
        return v

    def qc(self, v, code, inst, lvl, t):
        return v

    def target_in_force(self, code, mat, lvl, lot, t, mean, sd):
        return mean, sd


class Level1(Scenario):
    name = "level1"

    def onset(self):
        return self.day(6, 8)

    def calibrations(self, iso, ts14):
        t = self.day(4, 7, 40)
        return [("CHEM-01", "02-00-5e-33-01-1d", "ISE1", ts14(t), "R-CHE-01", "CAL-77", "", "", "op03", "routine 6-month calibration")]

    def lots(self, lots, lot_events, iso):
        t = self.day(5, 7, 30)
        out = []
        for row in lots:
            mat, lvl = row[0], row[1]
            if mat == "CHEM-CTRL" and lvl == "2":
                row = row[:6] + (iso(t),)
            out.append(row)
        out.append(("CHEM-CTRL", "2", "C2411C", "2025-09-30", "", iso(t), ""))
        lot_events = lot_events + [(iso(t), "CHEM-CTRL", "2", "C2410B", "RETIRED", "op02", "lot used up"),
                                   (iso(t), "CHEM-CTRL", "2", "C2411C", "IN_USE", "op02", "new lot, targets from insert")]
        return out, lot_events

    def targets(self, targets, iso):
        t = self.day(5, 7, 30)
        out = []
        for r in targets:
            if r[1] == "CHEM-CTRL" and r[2] == "2":
                out.append(r[:7] + (iso(t),) + r[8:])
                out.append((r[0], r[1], r[2], "C2411C", round(r[4] * 1.01, 2), r[5], iso(t), "", "manufacturer", "op02"))
            else:
                out.append(r)
        return out

    def qc_lot(self, inst, mat, lot, lvl, t):
        if mat == "CHEM-CTRL" and lvl == "2" and t >= self.day(5, 7, 30):
            return "C2411C"
        return lot

    def centrifuge(self, row, t):
        row = list(row)
        if row[1] == "CF-02" and t >= self.onset():
            rpm = 2150 + int(row[0][1:]) % 30
            row[7] = rpm
            row[9] = round(1.118e-5 * row[8] * rpm * rpm, 1)
            row[13] = "drive noise reported by ED staff" if t.hour == 14 and t.date() == self.onset().date() else ""
        if row[1] == "CF-02" and t.date() == self.day(2).date() and row[5] == "CITPLS" and t.hour == 12:
            row[7] = 2400
            row[9] = round(1.118e-5 * row[8] * 2400 * 2400, 1)
            row[13] = "imbalanced load"
        rows = [tuple(row)]
        if row[1] == "CF-01" and t.date() == self.day(7).date() and t.hour == 10:
            row[12], row[13] = "ABORT", "lid sensor"
            rows = [tuple(row)]
            re = list(row)
            re[0] = row[0] + "R"
            re[3] = (t + dt.timedelta(minutes=15)).isoformat(timespec="seconds")
            re[12], re[13] = "", "re-spin of " + row[0]
            rows.append(tuple(re))
        return rows

    def patient(self, v, code, inst, dept, t, spun_run):
        if code == "K" and dept == "0300" and spun_run and spun_run[1] == "CF-02" and spun_run[2] >= self.onset():
            return v + 1.6
        return v


class Level2(Scenario):
    name = "level2"

    def onset(self):
        return self.day(6, 7, 50)

    def calibrations(self, iso, ts14):
        return []  # gen_site's own recalibration of HEM-02 CH1 on day 5 (new reagent lot, ISI) is the distractor

    def targets(self, targets, iso):
        out = []
        for r in targets:
            if r[0] == "PT" and r[1] == "COAG-CTRL" and r[2] == "2":
                out.append(r[:7] + (iso(self.onset()),) + r[8:])
                out.append((r[0], r[1], r[2], r[3], 21.0, r[5], iso(self.onset()), "", "manual entry", "op03"))
            elif r[0] == "APTT" and r[1] == "COAG-CTRL" and r[2] == "1":
                t = self.day(3, 9)
                out.append(r[:7] + (iso(t),) + r[8:])
                out.append((r[0], r[1], r[2], r[3], r[4], round(r[5] * 1.05, 2), iso(t), "", "peer group update", "op01"))
            else:
                out.append(r)
        return out

    def target_in_force(self, code, mat, lvl, lot, t, mean, sd):
        if code == "PT" and mat == "COAG-CTRL" and lvl == "2" and t >= self.onset():
            return 21.0, sd
        if code == "APTT" and mat == "COAG-CTRL" and lvl == "1" and t >= self.day(3, 9):
            return mean, round(sd * 1.05, 2)
        return mean, sd

    def centrifuge(self, row, t):
        row = list(row)
        if row[1] == "CF-01" and t.date() == self.day(7).date() and row[5] == "SER" and t.hour == 10:
            row[7] = 2300
            row[9] = round(1.118e-5 * row[8] * 2300 * 2300, 1)
            row[13] = "wrong program selected"
        return [tuple(row)]


class Level3(Scenario):
    name = "level3"

    def onset(self):
        return self.day(6, 7, 30)

    def calibrations(self, iso, ts14):
        return [("CHEM-01", "02-00-5e-33-01-1d", "PH1", ts14(self.onset()), "R-CHE-01", "CAL-81", "", "", "op04",
                 "calibrator lot change"),
                ("HEM-02", "02:00:5E:33:01:0C", "CH3", ts14(self.day(6, 7, 20)), "R-HEM-03", "CAL-78", "", "", "op04",
                 "scheduled fibrinogen calibration")]

    def targets(self, targets, iso):
        out = []
        for r in targets:
            if r[0] == "CREA" and r[2] == "1":
                t = self.day(4, 9)
                out.append(r[:7] + (iso(t),) + r[8:])
                out.append((r[0], r[1], r[2], r[3], round(r[4] + 1, 2), r[5], iso(t), "", "peer group update", "op01"))
            else:
                out.append(r)
        return out

    def target_in_force(self, code, mat, lvl, lot, t, mean, sd):
        if code == "CREA" and lvl == "1" and t >= self.day(4, 9):
            return round(mean + 1, 2), sd
        return mean, sd

    def lots(self, lots, lot_events, iso):
        return lots, lot_events + [(iso(self.day(6, 9)), "COAG-CTRL", "1", "L2411A", "REVIEWED", "op02", "monthly review")]

    def centrifuge(self, row, t):
        row = list(row)
        if row[1] == "CF-02" and t.date() == self.day(6).date() and row[5] == "CITPLS" and t.hour == 12:
            row[7] = 2250
            row[9] = round(1.118e-5 * row[8] * 2250 * 2250, 1)
            row[13] = "operator stopped early"
        return [tuple(row)]

    def patient(self, v, code, inst, dept, t, spun_run):
        if code == "GLU" and t >= self.onset():
            return v * 1.24
        return v

    def qc(self, v, code, inst, lvl, t):
        if code == "GLU" and t >= self.onset():
            return v * 1.24
        return v


SCENARIOS = {"level1": Level1, "level2": Level2, "level3": Level3}


def make(name, start):
    if not name:
        return None
    return SCENARIOS[name](start)
